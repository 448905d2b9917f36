from __future__ import annotations

from datetime import datetime, timezone

from lapor.timeutil import date_id


def test_dates_read_in_indonesian_on_the_citys_calendar() -> None:
    assert date_id(datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)) == "30 November 2026"
    # 18:00 UTC on 31 July is already 1 August in Kediri (WIB, UTC+7).
    assert date_id(datetime(2026, 7, 31, 18, 0, tzinfo=timezone.utc)) == "1 Agustus 2026"
    assert date_id(datetime(2026, 2, 3)) == "3 Februari 2026"  # naive: stored UTC
    assert date_id(None) == "-"

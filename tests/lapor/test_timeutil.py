from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lapor.timeutil import date_id, parse_iso, to_utc


def test_dates_read_in_indonesian_on_the_citys_calendar() -> None:
    assert date_id(datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)) == "30 November 2026"
    # 18:00 UTC on 31 July is already 1 August in Kediri (WIB, UTC+7).
    assert date_id(datetime(2026, 7, 31, 18, 0, tzinfo=timezone.utc)) == "1 Agustus 2026"
    assert date_id(datetime(2026, 2, 3)) == "3 Februari 2026"  # naive: stored UTC
    assert date_id(None) == "-"


def test_to_utc_converts_any_offset_and_reads_naive_values_as_utc() -> None:
    wib = parse_iso("2026-11-01T08:00:00+07:00")
    assert to_utc(wib) == datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)
    assert to_utc(wib).utcoffset() == timedelta(0)
    assert to_utc(datetime(2026, 11, 1, 1, 0)) == datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)


def test_to_utc_refuses_an_instant_utc_cannot_hold() -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_utc(parse_iso("0001-01-01T00:00:00+14:00"))

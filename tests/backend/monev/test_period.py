"""The period of a monev view: WIB days, the previous period, the errors people read."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from backend.monev.period import Period, PeriodError, default, from_args, today


def test_a_period_runs_from_wib_midnight_to_wib_midnight() -> None:
    october = from_args({"dari": "2026-10-01", "sampai": "2026-10-31"})
    assert october.start == datetime(2026, 9, 30, 17, tzinfo=timezone.utc)
    assert october.end == datetime(2026, 10, 31, 17, tzinfo=timezone.utc)
    assert october.days == 31
    assert october.label == "1 Okt 2026 – 31 Okt 2026"


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    october = Period(date(2026, 10, 1), date(2026, 10, 31))
    assert october.previous() == Period(date(2026, 8, 31), date(2026, 9, 30))
    assert Period(date(2026, 3, 1), date(2026, 3, 1)).previous() == Period(
        date(2026, 2, 28), date(2026, 2, 28)
    )


def test_without_dates_the_default_is_the_last_whole_days() -> None:
    assert from_args({}) == default(30)
    assert from_args({}).last == today() - timedelta(days=1)  # yesterday: a finished day
    assert from_args({"sampai": "2026-10-31"}, days=7) == Period(
        date(2026, 10, 25), date(2026, 10, 31)
    )
    assert from_args({"dari": " 2026-10-01 ", "sampai": ""}).last == today() - timedelta(days=1)
    assert (
        from_args({"sampai": today().isoformat()}).last == today()
    )  # today, as far as it has gone


@pytest.mark.parametrize(
    "args, message",
    [
        ({"dari": "2026-10-31", "sampai": "2026-10-01"}, "Tanggal awal periode harus sebelum"),
        ({"dari": "kemarin"}, "Tanggal awal periode tidak dikenali: “kemarin”"),
        ({"sampai": "2026-13-01"}, "Tanggal akhir periode tidak dikenali"),
        ({"dari": "2019-12-31", "sampai": "2020-01-05"}, "Periode harus di antara"),
        ({"sampai": "2999-01-01"}, "Periode harus di antara"),
        ({"sampai": (today() + timedelta(days=1)).isoformat()}, "Periode harus di antara"),
        ({"dari": "2021-01-01", "sampai": "2024-12-31"}, "Periode paling panjang 1098 hari"),
    ],
)
def test_a_wrong_period_says_what_to_fix(args: dict, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        from_args(args)

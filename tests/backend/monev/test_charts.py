"""The charts' geometry: axes that end on a round number, a point a day, bars to scale."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.monev import charts


@pytest.mark.parametrize(
    "most, top", [(0, 5), (3, 5), (10, 10), (11, 20), (230, 500), (4200, 5000)]
)
def test_the_axis_ends_on_one_two_or_five_times_a_power_of_ten(most: float, top: float) -> None:
    assert charts.nice_top(most) == pytest.approx(top)


def test_a_trend_has_a_point_a_day_scaled_to_the_axis() -> None:
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(31)]
    trend = charts.trend(days, [("Pesan", {days[0]: 10, days[30]: 5}), ("Laporan", {})])
    first, second = trend.series
    assert len(first.points) == 31 and first.total == 15 and second.total == 0
    assert first.points[0] == (charts.PLOT_LEFT, trend.plot_bottom - charts.PLOT_HEIGHT)  # 10 of 10
    assert first.points[30][1] == pytest.approx(trend.plot_bottom - charts.PLOT_HEIGHT / 2)
    assert first.points[30][0] == pytest.approx(trend.plot_right)
    assert [t.label for t in trend.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    assert [t.label for t in charts.trend(days, [("x", {days[0]: 15})]).y_ticks] == [
        "0", "5", "10", "15", "20"
    ]  # fmt: skip
    assert charts.trend(days, [("x", {days[0]: 4200})]).y_ticks[1].label == "1.000"
    assert 4 <= len(trend.x_ticks) <= 8 and trend.x_ticks[0].label == "1 Okt"


def test_bars_are_drawn_to_the_longest() -> None:
    found = charts.bars(("Masuk", "Ditutup"), [("PUPR", (40, 30)), ("Dishub", (10, 0))])
    longest = found.bars[0].widths[0]
    assert found.bars[0].widths[1] == pytest.approx(longest * 0.75)
    assert found.bars[1].widths == (pytest.approx(longest / 4), 0.0)
    assert found.bars[1].y > found.bars[0].y

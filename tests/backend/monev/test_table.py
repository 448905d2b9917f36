"""Figures as people read them (Indonesian formats) and as spreadsheets read them."""

from __future__ import annotations

import pytest

from backend.monev.stats import change, quantile, share, spread
from backend.monev.table import (
    CHANGE,
    COUNT,
    DECIMAL,
    DURATION,
    SHARE,
    Column,
    Table,
    cell,
    compared,
    to_csv,
)


@pytest.mark.parametrize(
    "value, kind, shown",
    [
        (1234567, COUNT, "1.234.567"),
        (0.125, SHARE, "12,5%"),
        (1.0, SHARE, "100,0%"),
        (0.25, CHANGE, "+25%"),
        (-0.5, CHANGE, "−50%"),
        (0.0, CHANGE, "±0%"),
        (-0.0012, CHANGE, "±0%"),
        (84.04, DECIMAL, "84,0"),
        (None, COUNT, "–"),
        ("< 5", COUNT, "< 5"),
        (0, DURATION, "0 dtk"),
        (45.4, DURATION, "45 dtk"),
        (200, DURATION, "3 mnt 20 dtk"),
        (3600, DURATION, "1 jam"),
        (7543, DURATION, "2 jam 5 mnt"),
        (3 * 86400 + 4 * 3600 + 59, DURATION, "3 hari 4 jam"),
        (86400 + 30, DURATION, "1 hari"),
    ],
)
def test_a_cell_reads_as_people_in_kediri_write_numbers(
    value: object, kind: str, shown: str
) -> None:
    assert cell(value, kind) == shown


def test_quantiles_interpolate_between_ranks_like_percentile_cont() -> None:
    assert quantile([1.0, 2.0, 6.0], 0.9) == pytest.approx(5.2)
    assert quantile([10.0], 0.9) == 10.0
    assert quantile([], 0.5) is None
    found = spread([6.0, 1.0, 2.0, 3.0, 1.0])
    assert (found.n, found.median, found.p90) == (5, 2.0, pytest.approx(4.8))


def test_shares_and_changes_need_something_to_compare_with() -> None:
    assert share(1, 8) == 0.125 and share(1, 0) is None
    assert change(3, 1) == 2.0 and change(3, 0) is None and change(None, 4) is None


def test_a_compared_table_counts_each_name_in_both_periods() -> None:
    table = compared(
        "x", "X", "Jenis", [("a", "A"), ("b", "B")], {"a": 3}, {"a": 1, "b": 2}, share_of=3
    )
    assert table.rows == [("A", 3, 1.0, 1, 2.0), ("B", 0, 0.0, 2, -1.0)]
    assert [c.label for c in table.columns] == [
        "Jenis",
        "Periode ini",
        "Bagian",
        "Periode sebelumnya",
        "Perubahan",
    ]


def test_the_csv_has_a_bom_raw_numbers_and_empty_cells_for_nothing() -> None:
    table = Table(
        "t",
        "T",
        (Column("Dinas"), Column("Median", DECIMAL)),
        [("PUPR, Kota", 84.04444), ("Dishub", None)],
    )
    assert to_csv(table) == '\ufeffDinas,Median\r\n"PUPR, Kota",84.0444\r\nDishub,\r\n'


def test_a_csv_cell_a_spreadsheet_would_run_is_written_as_text() -> None:
    table = Table(
        "t",
        "T",
        (Column("Alamat"), Column("n", COUNT)),
        [('=HYPERLINK("x")', 1), ("-3", 2), ("Jl. Dhoho", 3)],
    )
    assert to_csv(table).splitlines()[1:] == [
        '"\'=HYPERLINK(""x"")",1',
        "'-3,2",
        "Jl. Dhoho,3",
    ]

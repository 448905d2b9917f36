"""The public page's figures (/statistik): tickets received and closed per
department and kelurahan, the median time to close, and the map. Nothing
personal leaves here: no ticket numbers, texts, addresses or people, only
counts. A count from 1 to 4 is shown as "< 5" (and a median over fewer than
5 tickets not at all), so no one can be singled out from a small number; the
other counts are rounded to a multiple of five, and every count below five
has the map's first shade, so no hidden count comes back by subtraction or
from a shade.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple, Union

from backend import kelurahan_map
from backend.monev.stats import Spread
from backend.monev.table import COUNT, DECIMAL, Column, Table
from backend.monev.tickets import Cohort, Counts, kelurahan_counts
from lapor.catalogue import Catalogue
from lapor.wilayah import Wilayah

SMALLEST = 5  # counts below this are hidden
SMALL = "< 5"
ROUND = 5  # every count shown is rounded to a multiple of this
Shown = Union[int, str]
DAY = 24.0


def shown(count: int) -> Shown:
    """A count as the public reads it: "< 5" below five, else rounded to a
    multiple of five, so that no hidden count can be worked out by taking one
    figure from another (a total from its parts, or one period from a longer one)."""
    if 0 < count < SMALLEST:
        return SMALL
    return ROUND * round(count / ROUND)


def median_days(found: Optional[Spread]) -> Optional[float]:
    """The median days to close, or None when fewer than SMALLEST were closed."""
    if found is None or found.n < SMALLEST or found.median is None:
        return None
    return found.median / DAY


def headline(cohort: Cohort) -> Table:
    every = cohort.total()
    columns = (
        Column("Laporan diterima", COUNT),
        Column("Laporan ditutup", COUNT),
        Column("Median sampai ditutup (hari)", DECIMAL),
    )
    row = (shown(every.received), shown(every.closed), median_days(cohort.resolution.get(None)))
    return Table("statistik_ringkasan", "Ringkasan", columns, [row])


def per_department(cohort: Cohort, catalogue: Catalogue) -> Table:
    groups = cohort.by(0)
    rows: List[Tuple[Any, ...]] = []
    for code, department in catalogue.departments.items():
        mine = groups.get(code)
        if mine and mine.received:
            resolved = median_days(cohort.resolution.get(code))
            rows.append((department.name, shown(mine.received), shown(mine.closed), resolved))
    columns = (
        Column("Dinas"),
        Column("Diterima", COUNT),
        Column("Ditutup", COUNT),
        Column("Median sampai ditutup (hari)", DECIMAL),
    )
    note = (
        "“< 5”: kurang dari lima laporan; jumlah lain dibulatkan ke kelipatan lima. Median "
        "hanya ditampilkan bila paling sedikit lima laporan sudah ditutup."
    )
    return Table("statistik_dinas", "Laporan per dinas", columns, rows, note)


def per_kelurahan(cohort: Cohort, wilayah: Wilayah) -> Table:
    groups = cohort.by(2)
    rows = []
    for area in sorted(wilayah.kelurahan, key=lambda a: (a.kecamatan or "", a.name)):
        mine = groups.get(area.code, Counts())
        rows.append((area.name, area.kecamatan or "", shown(mine.received), shown(mine.closed)))
    columns = (
        Column("Kelurahan"),
        Column("Kecamatan"),
        Column("Diterima", COUNT),
        Column("Ditutup", COUNT),
    )
    return Table("statistik_kelurahan", "Laporan per kelurahan", columns, rows)


def map_of(cohort: Cohort, wilayah: Wilayah) -> kelurahan_map.Map:
    """Shaded so that every count below five looks alike (shade 1)."""
    return kelurahan_map.shaded(wilayah, kelurahan_counts(cohort), small=SMALLEST)

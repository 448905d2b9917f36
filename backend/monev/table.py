"""A figure table: what the dashboard shows, the CSV exports and the printed
report prints. Cells hold raw values (counts, fractions, hours, seconds);
`cell` formats them for people, `to_csv` writes them for spreadsheets."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from babel.numbers import format_decimal, format_percent

from backend.monev.stats import change

TEXT, COUNT, SHARE, DECIMAL, DURATION, RATING, CHANGE = (
    "text",
    "count",
    "share",
    "decimal",  # hours, days: one decimal
    "duration",  # seconds, shown as "3 mnt 20 dtk"; the CSV keeps the seconds
    "rating",
    "change",
)
LOCALE = "id"
NONE = "–"  # no value: nothing to measure in the period


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind != TEXT


@dataclass(frozen=True)
class Table:
    key: str  # the CSV file's name and the table's anchor, e.g. "laporan_dinas"
    title: str
    columns: Tuple[Column, ...]
    rows: List[Tuple[Any, ...]]
    note: str = ""


def cell(value: Any, kind: str) -> str:
    """A value as people in Kediri read it (Indonesian number formats)."""
    if value is None:
        return NONE
    if isinstance(value, str):
        return value
    if kind == COUNT:
        return str(format_decimal(value, locale=LOCALE))
    if kind == SHARE:
        return str(format_percent(value, "#,##0.0%", locale=LOCALE))
    if kind == CHANGE:
        whole = round(value * 100)  # what is shown: -0.1% is no change to the eye
        sign = "+" if whole > 0 else ("−" if whole < 0 else "±")
        return sign + str(format_percent(abs(value), "#,##0%", locale=LOCALE))
    if kind in (DECIMAL, RATING):
        return str(format_decimal(round(value, 1), "#,##0.0", locale=LOCALE))
    if kind == DURATION:
        return duration(value)
    return str(value)


def duration(seconds: float) -> str:
    """45 dtk, 3 mnt 20 dtk, 2 jam 5 mnt, 3 hari 4 jam: the two largest units."""
    whole = round(seconds)
    units = (("hari", 86400), ("jam", 3600), ("mnt", 60), ("dtk", 1))
    parts: List[str] = []
    for name, size in units:
        count, whole = divmod(whole, size)
        if count or (parts and len(parts) < 2):
            parts.append(f"{count} {name}")
        if len(parts) == 2:
            break
    parts = [p for p in parts if not p.startswith("0 ")] or ["0 dtk"]
    return " ".join(parts)


def to_csv(table: Table) -> str:
    """The table as CSV (UTF-8 with a BOM, so spreadsheet programs read the
    Indonesian text right); numbers unformatted, fractions as fractions."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_raw(v) for v in row])
    return out.getvalue()


# A text cell starting with one of these is a formula to a spreadsheet; a citizen's
# address must never run as one (it is written with a leading apostrophe).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _raw(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, float):
        return round(value, 4)
    return value


def compared(
    key: str,
    title: str,
    label: str,
    names: Sequence[Tuple[str, str]],
    now: Mapping[str, int],
    before: Mapping[str, int],
    note: str = "",
    share_of: Optional[int] = None,
) -> Table:
    """A count per name in this period and the one before, with the change
    (and the share of `share_of` when given): the shape of most count tables."""
    columns = [Column(label), Column("Periode ini", COUNT)]
    if share_of is not None:
        columns.append(Column("Bagian", SHARE))
    columns += [Column("Periode sebelumnya", COUNT), Column("Perubahan", CHANGE)]
    rows: List[Tuple[Any, ...]] = []
    for code, name in names:
        count, previous = now.get(code, 0), before.get(code, 0)
        row: List[Any] = [name, count]
        if share_of is not None:
            row.append(count / share_of if share_of else None)
        row += [previous, change(count, previous)]
        rows.append(tuple(row))
    return Table(key, title, tuple(columns), rows, note)

"""Reading the figure tables of a rendered page, as a person reads them."""

from __future__ import annotations

import html
import re
from typing import Dict, List

TABLE = re.compile(r'<table[^>]*data-table="([a-z_]+)"[^>]*>(.*?)</table>', re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def tables(page: str) -> Dict[str, List[List[str]]]:
    """Each table's rows (the header row first), each cell's text."""
    found = {}
    for key, body in TABLE.findall(page):
        found[key] = [[_text(c) for c in CELL.findall(row)] for row in ROW.findall(body)]
    return found


def _text(cell: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip()

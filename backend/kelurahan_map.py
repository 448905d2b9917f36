"""The city's kelurahan as plain SVG, shaded by a count: the department
queue's open tickets with a dot per ticket (templates/console/_kelurahan_map.html),
and the monitoring figures' tickets per kelurahan (backend/monev/).

No map library and no tiles: the page works offline and under the console's
strict CSP. The gazetteer's polygons are projected once per process with an
equirectangular projection around Kediri's latitude (the city is 10 km
across, so the distortion is far below what a person can see).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from backend.ticket_reads import Pin
from lapor.wilayah import Area, Wilayah

WIDTH = 600.0  # SVG user units; the browser scales it to the box
MARGIN = 8.0
SHADES = 4  # besides "none": 1..SHADES, darker for more open tickets


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    kecamatan: Optional[str]
    path: str  # SVG path data
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Outline:
    width: float
    height: float
    shapes: Tuple[Shape, ...]


@dataclass(frozen=True)
class Region:
    shape: Shape
    count: int
    shade: int  # 0: no open ticket


@dataclass(frozen=True)
class Dot:
    service_request_id: str
    service_code: str
    x: float
    y: float


@dataclass(frozen=True)
class Map:
    width: float
    height: float
    regions: List[Region]
    dots: List[Dot]
    most: int  # the highest count, for the legend
    unplaced: int  # open tickets with neither a pin nor a kelurahan


class Projection:
    """lon/lat -> SVG x/y, fitted to the city's outline."""

    def __init__(self, city: Area) -> None:
        points = [pt for polygon in city.polygons for ring in polygon for pt in ring]
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        self.west, self.north = min(lons), max(lats)
        self.kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = (max(lons) - self.west) * self.kx
        self.scale = (WIDTH - 2 * MARGIN) / span_x
        self.height = (self.north - min(lats)) * self.scale + 2 * MARGIN

    def xy(self, lon: float, lat: float) -> Tuple[float, float]:
        x = MARGIN + (lon - self.west) * self.kx * self.scale
        y = MARGIN + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)

    def inside(self, x: float, y: float) -> bool:
        return -MARGIN <= x <= WIDTH + MARGIN and -MARGIN <= y <= self.height + MARGIN


@lru_cache(maxsize=2)
def outline(wilayah: Wilayah) -> Outline:
    """The kelurahan as SVG paths (computed once: the gazetteer never changes while running)."""
    projection = Projection(wilayah.city)
    shapes = tuple(_shape(area, projection) for area in wilayah.kelurahan)
    return Outline(WIDTH, round(projection.height, 1), shapes)


def draw(wilayah: Wilayah, pins: Sequence[Pin]) -> Map:
    projection = Projection(wilayah.city)
    counts: Counter[str] = Counter()
    dots: List[Dot] = []
    unplaced = 0
    for pin in pins:
        code = pin.kelurahan_code
        if code is None and pin.lat is not None and pin.long is not None:
            found = wilayah.locate(pin.lat, pin.long)
            code = found.code if found else None
        if code:
            counts[code] += 1
        if pin.lat is not None and pin.long is not None:
            x, y = projection.xy(pin.long, pin.lat)
            if projection.inside(x, y):
                dots.append(Dot(pin.service_request_id, pin.service_code, x, y))
                continue
        if not code:
            unplaced += 1
    shading = shaded(wilayah, counts)
    return Map(shading.width, shading.height, shading.regions, dots, shading.most, unplaced)


def shaded(wilayah: Wilayah, counts: Mapping[str, int], small: int = 0) -> Map:
    """The kelurahan shaded by a count per kelurahan code (no dots), relative to
    the busiest. With `small` (the public page's 5), every count from 1 to
    small - 1 gets the first shade alike and the others shades 2..4: the shade
    of a small count says no more than its "< 5"."""
    base = outline(wilayah)
    most = max(counts.values(), default=0)

    def shade(count: int) -> int:
        if not small or count <= 0:
            return _shade(count, most)
        return 1 if count < small else 1 + math.ceil((SHADES - 1) * count / most)

    regions = [Region(s, counts.get(s.code, 0), shade(counts.get(s.code, 0))) for s in base.shapes]
    return Map(base.width, base.height, regions, [], most, 0)


def _shade(count: int, most: int) -> int:
    if count <= 0 or most <= 0:
        return 0
    return max(1, math.ceil(SHADES * count / most))


def _shape(area: Area, projection: Projection) -> Shape:
    parts: List[str] = []
    for polygon in area.polygons:
        for ring in polygon:
            points = [projection.xy(lon, lat) for lon, lat in ring]
            parts.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
    x, y = projection.xy(*area.centroid)
    return Shape(area.code, area.name, area.kecamatan, " ".join(parts), x, y)


def kecamatan_codes(wilayah: Wilayah) -> Dict[str, Tuple[str, ...]]:
    """Kecamatan name -> the codes of its kelurahan."""
    found: Dict[str, List[str]] = {}
    for area in wilayah.kelurahan:
        if area.kecamatan:
            found.setdefault(area.kecamatan, []).append(area.code)
    return {name: tuple(codes) for name, codes in sorted(found.items())}

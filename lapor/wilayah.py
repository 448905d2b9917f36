"""Kota Kediri's kelurahan: names, codes and boundary polygons.

Shared by the backend (tickets' kelurahan), the actions (location pins) and
the NLU gazetteer. Point-in-polygon is done here by ray casting: the polygons
are small (46 kelurahan), so a dependency such as shapely is not worth it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from lapor.paths import GAZETTEER_FILE

Ring = Sequence[Tuple[float, float]]  # (lon, lat) pairs
Polygon = Sequence[Ring]  # outer ring first, then holes


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str
    kecamatan: str | None
    centroid: Tuple[float, float]  # (lon, lat)
    polygons: Tuple[Polygon, ...]

    def contains(self, lat: float, lon: float) -> bool:
        return any(_in_polygon(lon, lat, polygon) for polygon in self.polygons)


@dataclass(frozen=True)
class Wilayah:
    city: Area
    kelurahan: Tuple[Area, ...]

    def by_code(self, code: str) -> Area | None:
        return next((k for k in self.kelurahan if k.code == code), None)

    def by_name(self, name: str) -> Area | None:
        wanted = _fold(name)
        return next((k for k in self.kelurahan if _fold(k.name) == wanted), None)

    def locate(self, lat: float, lon: float) -> Area | None:
        """The kelurahan containing the point, or None outside Kota Kediri."""
        if not self.city.contains(lat, lon):
            # Simplified kelurahan polygons can poke past the simplified city
            # outline; trust a kelurahan hit even then.
            return next((k for k in self.kelurahan if k.contains(lat, lon)), None)
        hit = next((k for k in self.kelurahan if k.contains(lat, lon)), None)
        return hit or self._nearest(lat, lon)

    def _nearest(self, lat: float, lon: float) -> Area:
        # Inside the city outline but in a sliver between simplified kelurahan
        # polygons: the closest boundary vertex decides.
        def distance(area: Area) -> float:
            return min(
                (x - lon) ** 2 + (y - lat) ** 2
                for polygon in area.polygons
                for ring in polygon
                for x, y in ring
            )

        return min(self.kelurahan, key=distance)


def load_wilayah(path: Path = GAZETTEER_FILE) -> Wilayah:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    areas = [_area(feature) for feature in features]
    cities = [a for a in areas if a.level == "kota"]
    if len(cities) != 1:
        raise ValueError(f"{path}: expected exactly one 'kota' feature")
    kelurahan = tuple(sorted((a for a in areas if a.level == "kelurahan"), key=lambda a: a.code))
    return Wilayah(city=cities[0], kelurahan=kelurahan)


@lru_cache(maxsize=4)
def default_wilayah(path: Path = GAZETTEER_FILE) -> Wilayah:
    """Parsed once per process: the file never changes while running."""
    return load_wilayah(path)


def _area(feature: Dict[str, Any]) -> Area:
    props = feature["properties"]
    geometry = feature["geometry"]
    coordinates: List[Any] = geometry["coordinates"]
    polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
    return Area(
        code=props["kode"],
        name=props["nama"],
        level=props["level"],
        kecamatan=props.get("kecamatan"),
        centroid=(float(props["centroid"][0]), float(props["centroid"][1])),
        polygons=tuple(
            tuple(tuple((float(x), float(y)) for x, y in ring) for ring in polygon)
            for polygon in polygons
        ),
    )


def _in_polygon(x: float, y: float, polygon: Polygon) -> bool:
    outer, *holes = polygon
    return _in_ring(x, y, outer) and not any(_in_ring(x, y, hole) for hole in holes)


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _fold(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())

from __future__ import annotations

import itertools

import pytest

from lapor.wilayah import default_wilayah


def test_all_46_kelurahan_with_codes() -> None:
    wilayah = default_wilayah()
    assert len(wilayah.kelurahan) == 46
    assert wilayah.by_name("bandar lor").code == "35.71.01.1001"  # type: ignore[union-attr]
    assert wilayah.by_name("KampungDalem").name == "Kampung Dalem"  # type: ignore[union-attr]
    assert wilayah.by_code("35.71.03.1015").name == "Burengan"  # type: ignore[union-attr]
    assert wilayah.by_name("Surabaya") is None


def test_every_kelurahan_polygon_contains_a_point_that_locates_to_it() -> None:
    wilayah = default_wilayah()
    for area in wilayah.kelurahan:
        # The midpoint between two vertices and the polygon's first vertex
        # is not guaranteed inside; use the mean of a small fan instead.
        outer = area.polygons[0][0]
        x0, y0 = outer[0]
        hits = [
            ((x0 + x1 + x2) / 3, (y0 + y1 + y2) / 3)
            for (x1, y1), (x2, y2) in itertools.pairwise(outer[1:])
        ]
        inside = [(x, y) for x, y in hits if area.contains(y, x)]
        assert inside, area.name
        x, y = inside[0]
        assert wilayah.locate(y, x) == area, area.name


@pytest.mark.parametrize(
    ("name", "expected_elsewhere"),
    [("Tosaren", True), ("Singonegaran", True), ("Tinalan", True)],
)
def test_non_convex_centroids_are_decided_by_polygons(name, expected_elsewhere) -> None:
    # The data's README warns these centroids lie outside their own polygon.
    wilayah = default_wilayah()
    area = wilayah.by_name(name)
    assert area is not None
    lon, lat = area.centroid
    assert (wilayah.locate(lat, lon) != area) is expected_elsewhere


@pytest.mark.parametrize(("lat", "lon"), [(-7.70, 112.10), (-7.2575, 112.7521), (0.0, 0.0)])
def test_points_outside_the_city(lat: float, lon: float) -> None:
    assert default_wilayah().locate(lat, lon) is None

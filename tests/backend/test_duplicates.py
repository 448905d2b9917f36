"""The duplicate detector (backend/duplicates.py) and its labelled pairs."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from backend.duplicates import Candidate, Rules, candidates, haversine_m, score
from backend.duplicates_eval import HELDOUT_FILE, PAIRS_FILE, evaluate, load_pairs
from lapor.catalogue import load_catalogue
from lapor.paths import SERVICES_FILE
from lapor.timeutil import WIB
from lapor.wilayah import default_wilayah

# Measured on pairs.yml with data/duplicates/rules.yml (make eval-duplicates);
# a change that costs more than 0.05 of either is a regression.
MEASURED_PRECISION = 0.978
MEASURED_RECALL = 1.000
TOLERANCE = 0.05

# Jl. Penanggungan, Bandar Lor; 0.0001 degree of latitude is about 11 m.
LAT, LONG = -7.818659, 112.003402
START = datetime(2026, 10, 3, 19, 0, tzinfo=WIB)


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


def ticket(
    description: str,
    service_code: str = "street_light",
    north_m: float = 0.0,
    days: float = 0.0,
    ticket_id: str = "KDR-1",
) -> Candidate:
    return Candidate(
        service_request_id=ticket_id,
        service_code=service_code,
        description=description,
        lat=LAT + north_m / 111_320,
        long=LONG,
        requested_at=START + timedelta(days=days),
    )


def is_duplicate(a: Candidate, b: Candidate, rules: Rules) -> bool:
    return score(a, b, rules) is not None


def test_the_same_lamp_reported_twice_30_m_apart_is_a_duplicate(rules: Rules) -> None:
    first = ticket("lampu pju depan masjid mati, peteng")
    second = ticket("lampune dalan cedak masjid mati", north_m=30, days=0.2, ticket_id="KDR-2")
    match = score(second, first, rules)
    assert match is not None
    assert 25 < match.distance_m < 35


def test_a_flickering_lamp_and_a_dead_lamp_are_the_same_problem(rules: Rules) -> None:
    assert is_duplicate(ticket("lampu mati"), ticket("lampu berkedip", north_m=20, days=1), rules)


def test_a_fallen_tree_and_a_pruning_request_are_not_duplicates(rules: Rules) -> None:
    fallen = ticket("pohon tumbang di jalan", service_code="tree")
    pruning = ticket("pohon perlu dipangkas", service_code="tree", north_m=10, days=1)
    assert not is_duplicate(fallen, pruning, rules)


def test_the_same_place_a_month_later_is_a_new_occurrence(rules: Rules) -> None:
    first = ticket("lampu depan masjid mati")
    again = ticket("lampu depan masjid mati lagi", days=31)
    assert not is_duplicate(first, again, rules)


def test_another_category_on_the_same_street_is_not_a_duplicate(rules: Rules) -> None:
    lamp = ticket("lampu jalan mati depan masjid")
    hole = ticket("jalan berlubang depan masjid", service_code="road", north_m=5)
    assert not is_duplicate(lamp, hole, rules)


def test_the_same_category_on_the_next_street_is_not_a_duplicate(rules: Rules) -> None:
    here = ticket("lampu jalan mati")
    next_street = ticket("lampu jalan mati", north_m=180)
    assert not is_duplicate(here, next_street, rules)


def test_unrelated_texts_at_the_same_spot_are_not_duplicates(rules: Rules) -> None:
    a = ticket("usul taman ditambah bangku", service_code="other")
    b = ticket("wifi gratis lemot", service_code="other", north_m=5)
    assert not is_duplicate(a, b, rules)


def test_candidates_are_sorted_best_first_and_exclude_the_new_ticket(rules: Rules) -> None:
    new = ticket("lampu jalan mati depan masjid", ticket_id="KDR-9")
    near = ticket("lampu jalan depan masjid mati", north_m=10, ticket_id="KDR-1")
    farther = ticket("pju padam", north_m=60, days=3, ticket_id="KDR-2")
    away = ticket("lampu jalan mati", north_m=500, ticket_id="KDR-3")
    found = candidates(new, [away, farther, new, near], rules)
    assert [m.ticket.service_request_id for m in found] == ["KDR-1", "KDR-2"]


def test_haversine_matches_a_degree_of_latitude() -> None:
    assert haversine_m(0.0, 112.0, 1.0, 112.0) == pytest.approx(111_195, rel=1e-3)


@pytest.mark.parametrize("path", [PAIRS_FILE, HELDOUT_FILE], ids=lambda p: Path(p).name)
def test_every_labelled_pair_is_well_formed(path: Path) -> None:
    services = set(load_catalogue(SERVICES_FILE).services)
    wilayah = default_wilayah()
    pairs = load_pairs(path)
    assert pairs, f"{path} has no pairs"
    for pair in pairs:
        for side in (pair.a, pair.b):
            assert side.service_code in services, pair.id
            assert side.description.strip(), pair.id
            assert wilayah.locate(side.lat, side.long) is not None, f"{pair.id} outside the city"
            assert side.requested_at.utcoffset() == timedelta(hours=7), pair.id


def test_the_labelled_set_is_big_enough_and_about_40_percent_duplicates() -> None:
    pairs = load_pairs(PAIRS_FILE) + load_pairs(HELDOUT_FILE)
    assert len(pairs) >= 160
    assert 0.3 <= sum(p.same for p in pairs) / len(pairs) <= 0.5
    assert len({p.id for p in pairs}) == len(pairs)


def test_a_malformed_pair_is_refused_with_its_id(tmp_path: Path) -> None:
    path = tmp_path / "pairs.yml"
    path.write_text(
        "pairs:\n- {id: x1, group: positive, same: false, why: contradiction, a: {}, b: {}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="x1"):
        load_pairs(path)


def test_precision_and_recall_on_pairs_do_not_regress(rules: Rules) -> None:
    report = evaluate(load_pairs(PAIRS_FILE), rules)
    assert report.precision >= MEASURED_PRECISION - TOLERANCE, report.wrong
    assert report.recall >= MEASURED_RECALL - TOLERANCE, report.wrong

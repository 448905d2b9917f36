"""The deploy gate (lapor/nlu/gate.py) on figures built by lapor/nlu/scoring.py."""

from __future__ import annotations

from typing import Dict, List, Tuple

from lapor.nlu import gate
from lapor.nlu.scoring import Figures, intent_figures, model_figures


def figures(rows: List[Tuple[str, str, str]]) -> Figures:
    """(text, gold, predicted) rows of one held-out set."""
    parsed = [
        (text, gold, {"intent": {"name": said, "confidence": 0.9}}) for text, gold, said in rows
    ]
    return model_figures({"heldout": parsed})


EMERGENCIES = [(f"kebakaran {i}", "emergency_fire", "emergency_fire") for i in range(50)]
COMPLAINTS = [(f"lampu mati {i}", "report_street_light", "report_street_light") for i in range(50)]


def test_a_model_that_finds_every_emergency_passes() -> None:
    assert gate.refusals(figures(EMERGENCIES + COMPLAINTS), None, gate.Floors()) == []


def test_emergency_recall_below_the_floor_is_refused_with_the_count_missed() -> None:
    missed = [(t, g, "report_public_order") for t, g, _ in EMERGENCIES[:2]]
    new = figures(missed + EMERGENCIES[2:] + COMPLAINTS)
    reasons = gate.refusals(new, None, gate.Floors(emergency_recall=0.98))
    assert len(reasons) == 1
    assert "Recall darurat 96,0% di bawah batas 98,0%" in reasons[0]
    assert "2 dari 50 pesan darurat" in reasons[0]


def test_any_emergency_intent_counts_as_finding_the_emergency() -> None:
    # The citizen hears the same 112 instruction whichever emergency it is.
    swapped = [(t, g, "emergency_accident") for t, g, _ in EMERGENCIES]
    assert (
        intent_figures([g for _, g, _ in swapped], [p for _, _, p in swapped])["emergency_recall"]
        == 1.0
    )


def test_an_accuracy_drop_beyond_the_margin_is_refused_and_within_it_allowed() -> None:
    deployed = figures(EMERGENCIES + COMPLAINTS)
    worse = COMPLAINTS[:47] + [(t, g, "report_road") for t, g, _ in COMPLAINTS[47:]]
    new = figures(EMERGENCIES + worse)  # 3 of 100 wrong: accuracy 0.97
    assert gate.refusals(new, deployed, gate.Floors(accuracy_margin=0.05)) == []
    reasons = gate.refusals(new, deployed, gate.Floors(accuracy_margin=0.02))
    assert reasons == [
        "Akurasi intent turun dari 100,0% menjadi 97,0% (turun 3,0%; paling banyak 2,0%)."
    ]


def test_a_set_without_emergencies_cannot_show_recall_and_is_refused() -> None:
    assert "tak terukur" in gate.refusals(figures(COMPLAINTS), None, gate.Floors())[0]


def test_changed_messages_list_the_worse_ones_first() -> None:
    deployed = figures([*COMPLAINTS[:2], ("pohon tumbang", "report_tree", "report_road")])
    moved = (COMPLAINTS[1][0], COMPLAINTS[1][1], "report_road")
    new = figures([COMPLAINTS[0], moved, ("pohon tumbang", "report_tree", "report_tree")])
    changed = gate.changed_messages(new, deployed)
    summary: List[Dict[str, object]] = [
        {"text": m["text"], "was": m["was"], "now": m["predicted"], "worse": m["worse"]}
        for m in changed
    ]
    assert summary == [
        {"text": "lampu mati 1", "was": "report_street_light", "now": "report_road", "worse": True},
        {"text": "pohon tumbang", "was": "report_road", "now": "report_tree", "worse": False},
    ]


def test_intent_rows_put_the_biggest_drop_first() -> None:
    deployed = figures([*COMPLAINTS, ("pohon", "report_tree", "report_tree")])
    new = figures([*COMPLAINTS, ("pohon", "report_tree", "report_road")])
    rows = gate.intent_rows(new, deployed)
    assert rows[0].intent == "report_tree"
    assert rows[0].f1_old == 1.0 and rows[0].f1_new == 0.0

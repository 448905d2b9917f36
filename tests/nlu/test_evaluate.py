"""The conversation outcomes `make eval` counts (tests/nlu/evaluate.py): what the
bot does with a message, from the NLU's answer and the unsure offer."""

from __future__ import annotations

from typing import Any, Dict, List

from tests.nlu.evaluate import Example, _entity_f1, outcome


def parsed(name: str, text: str, ranking: List[Dict[str, Any]] | None = None) -> Dict[str, Any]:
    return {"text": text, "intent": {"name": name}, "intent_ranking": ranking or [], "entities": []}


def test_each_answer_is_named_as_the_citizen_would_meet_it() -> None:
    assert outcome(parsed("report_road", "jalan berlubang")) == "complaint"
    assert outcome(parsed("emergency_fire", "kebakaran")) == "emergency"
    assert outcome(parsed("greet", "halo")) == "other"
    unsure = [{"name": "report_social_aid", "confidence": 0.3}]
    assert (
        outcome(parsed("nlu_fallback", "warga miskin tidak terima raskin beras kutu", unsure))
        == "offer"
    )
    assert (
        outcome(parsed("nlu_fallback", "wkwk", [{"name": "prank", "confidence": 0.4}]))
        == "fallback"
    )


def test_entity_f1_counts_exact_spans_and_values() -> None:
    gold = [Example("report_social_aid", "raskin rt 3", [
        {"entity": "programme", "start": 0, "end": 6, "value": "BPNT"},
        {"entity": "rt_rw", "start": 7, "end": 11, "value": "rt 3"},
    ])]  # fmt: skip
    predicted = [{"entities": [
        {"entity": "programme", "start": 0, "end": 6, "value": "bpnt"},
        {"entity": "rt_rw", "start": 7, "end": 9, "value": "rt"},
    ]}]  # fmt: skip
    assert _entity_f1("programme", gold, predicted)["f1"] == 1.0
    assert _entity_f1("rt_rw", gold, predicted) == {
        "support": 1,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }

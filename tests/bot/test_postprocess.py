from __future__ import annotations

from bot.components.emergency import prioritise
from bot.components.locations import merge_locations, trim_locations


def loc(start: int, end: int, text: str) -> dict:
    return {
        "entity": "location",
        "start": start,
        "end": end,
        "value": text[start:end],
        "confidence_entity": 0.9,
    }


def test_pieces_of_one_street_are_joined() -> None:
    text = "lewat trotoar jl. veteran, tapi"
    merged = merge_locations(text, [loc(14, 16, text), loc(18, 25, text)])
    assert [(e["start"], e["end"], e["value"]) for e in merged] == [(14, 25, "jl. veteran")]


def test_separate_places_stay_separate() -> None:
    text = "dari jl kawi sampai pasar bandar"
    entities = [loc(5, 12, text), loc(20, 32, text)]
    assert merge_locations(text, entities) == entities


def test_other_entities_are_untouched() -> None:
    text = "gang 3 Bandar Lor"
    kel = {"entity": "kelurahan", "start": 7, "end": 17, "value": "Bandar Lor"}
    assert merge_locations(text, [loc(0, 6, text), kel]) == [loc(0, 6, text), kel]


RANKING = [
    {"name": "report_health", "confidence": 0.55},
    {"name": "emergency_medical", "confidence": 0.20},
    {"name": "emergency_accident", "confidence": 0.10},
    {"name": "greet", "confidence": 0.15},
]


def test_unsure_emergency_goes_first() -> None:
    intent, ranking, changed = prioritise(RANKING[0], RANKING, threshold=0.25)
    assert changed
    assert intent == {"name": "emergency_medical", "confidence": 0.30000000000000004}
    assert [r["name"] for r in ranking] == [
        "emergency_medical",
        "report_health",
        "emergency_accident",
        "greet",
    ]


def test_clear_complaint_stays() -> None:
    ranking = [
        {"name": "report_health", "confidence": 0.9},
        {"name": "emergency_medical", "confidence": 0.1},
    ]
    assert prioritise(ranking[0], ranking, threshold=0.25) == (ranking[0], ranking, False)


def test_prank_is_never_turned_into_an_emergency() -> None:
    ranking = [{"name": "prank", "confidence": 0.6}, {"name": "emergency_fire", "confidence": 0.4}]
    assert prioritise(ranking[0], ranking, threshold=0.25)[2] is False


def test_a_span_drawn_too_wide_is_trimmed_to_the_rule() -> None:
    text = "lampu mati di jl. kawi kel. bandar, tolong"
    trimmed = trim_locations(text, [loc(11, 27, text)])
    assert [e["value"] for e in trimmed] == ["jl. kawi"]
    text = "nang sepanjang dalan tengah."
    assert [e["value"] for e in trim_locations(text, [loc(0, len(text), text)])] == ["dalan tengah"]


def test_a_span_of_nothing_but_a_preposition_is_dropped() -> None:
    text = "ada di sana"
    assert trim_locations(text, [loc(4, 6, text)]) == []

"""Property tests for the custom NLU components: any Unicode, any length, never a crash.

The components run on every message a citizen sends, so they get what the
tokenizer and DIET make of arbitrary text; nothing here trains or loads a model.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.emergency import EmergencyPriority, prioritise
from bot.components.kelurahan import KelurahanExtractor
from bot.components.locations import LocationSpanMerger, merge_locations, trim_locations
from bot.components.tokenizer import IndonesianTokenizer
from lapor.gazetteer import load_rules
from lapor.wilayah import default_wilayah
from tests import strategies
from tests.strategies import ODD, checked

PROPERTY = checked(100)

RULES = load_rules()
KELURAHAN = [area.name for area in default_wilayah().kelurahan]
# Real names, their variants and the words around them, so that the
# gazetteer's matching and context rules run, not only its misses.
WORDS = [
    *KELURAHAN,
    *RULES.variants,
    *sorted(RULES.strong_cues),
    *sorted(RULES.leaders),
    *sorted(RULES.followers),
    "kel.",
    "kecamatan",
    "jl.",
    "rt.02/rw.05",
    "lampune",
    "tolonggg",
    "anak2",
    "3.5",
    "KDR-2026-000123",
    "BANDAR LOR",
]
chat_text = strategies.chat_text(WORDS) | st.lists(
    st.one_of(st.sampled_from(ODD), st.sampled_from(WORDS)), max_size=30
).map("".join)
any_text = strategies.any_text(chat_text)

TOKENIZER = IndonesianTokenizer(IndonesianTokenizer.get_default_config())


@pytest.fixture(scope="module")
def storage() -> Iterator[LocalModelStorage]:
    with tempfile.TemporaryDirectory() as directory:
        yield LocalModelStorage(Path(directory))


def tokenized(text: str, entities: Optional[List[Dict[str, Any]]] = None) -> Message:
    message = Message(data={TEXT: text, ENTITIES: entities or []})
    assert TOKENIZER.process([message]) == [message]
    return message


def spans(draw: st.DrawFn, length: int, max_spans: int = 6) -> List[Tuple[int, int]]:
    """Sorted, non-overlapping, non-empty spans inside a text, as DIET tags them."""
    cuts = sorted(
        draw(st.sets(st.integers(0, length), max_size=2 * max_spans)) if length else set()
    )
    pairs = list(zip(cuts[::2], cuts[1::2], strict=False))  # an odd last cut is dropped
    return [(start, end) for start, end in pairs if start < end]


@st.composite
def tagged_text(
    draw: st.DrawFn, names: Tuple[str, ...] = ("location", "kelurahan", "ticket_id")
) -> Tuple[str, List[Dict[str, Any]]]:
    """A text and DIET-like entities on it."""
    text = draw(any_text)
    entities = [
        {
            "entity": draw(st.sampled_from(names)),
            "start": start,
            "end": end,
            "value": text[start:end],
            "confidence_entity": draw(st.floats(0, 1)),
            "extractor": "DIETClassifier",
        }
        for start, end in spans(draw, len(text))
    ]
    return text, entities


@st.composite
def pieced_text(draw: st.DrawFn) -> Tuple[str, List[Dict[str, Any]]]:
    """Tagged pieces with gaps that may or may not join them ("jl" + ". " + "veteran")."""
    gaps = st.sampled_from([" ", ".", ". ", "/", " - ", "\u00a0", ", ", " dan ", "", *ODD])
    text = draw(st.text(max_size=5))
    entities: List[Dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 6))):
        piece = draw(st.text(min_size=1, max_size=10) | st.sampled_from(WORDS))
        label = draw(st.sampled_from(["location", "location", "kelurahan", None]))
        start = len(text)
        text += piece
        if label:
            entities.append({"entity": label, "start": start, "end": len(text), "value": piece})
        text += draw(gaps)
    return text, entities


@PROPERTY
@given(any_text)
@example("kel.bandarlor rt.02/rw.05 3.5 KDR-2026-000123")
@example("a\u0301.b\u200f/c🔥,d\x00")
@example("İ.ﬁ,ß\u2028x")
def test_tokens_are_the_text_they_cover(text: str) -> None:
    tokens = tokenized(text).get(TOKENS_NAMES[TEXT]) or []
    previous_end = 0
    for token in tokens:
        # Entity offsets come from tokens: they must point at what was typed.
        assert previous_end <= token.start < token.end <= len(text)
        assert text[token.start : token.end] == token.text
        assert token.text.strip() == token.text
        assert isinstance(token.lemma, str) and token.lemma
        previous_end = token.end


def kelurahan_extractor(storage: LocalModelStorage, common_words: set[str]) -> KelurahanExtractor:
    return KelurahanExtractor(storage, Resource("kelurahan"), common_words)


@PROPERTY
@given(tagged_text())
@example(("gang 3 Bandar Lor", [{"entity": "kelurahan", "start": 7, "end": 17}]))
@example(("kel.bandarlor dan jl.pesantren", []))
@example(("BAWANG\x00bawang Bawang", []))
def test_kelurahan_entities_are_canonical_and_inside_the_text(
    storage: LocalModelStorage, case: Tuple[str, List[Dict[str, Any]]]
) -> None:
    text, entities = case
    message = tokenized(text, [dict(e) for e in entities])
    extractor = kelurahan_extractor(storage, {"ayam", "benaran"})
    assert extractor.process([message]) == [message]
    if not message.get(TOKENS_NAMES[TEXT]):
        # Nothing to read (DIET tags tokens, so its entities here are only the test's).
        assert message.get(ENTITIES) == entities
        return

    found = message.get(ENTITIES)
    assert [e["start"] for e in found] == sorted(e["start"] for e in found)
    kelurahan = [e for e in found if e["entity"] == "kelurahan"]
    for entity in found:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
    for entity in kelurahan:
        area = default_wilayah().by_name(entity["value"])
        assert area is not None and area.name == entity["value"]
        assert entity["kelurahan_code"] == area.code
        assert entity["extractor"] == "KelurahanExtractor"
        assert 0 < entity["confidence_entity"] <= 1
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(kelurahan))
    # Other entities stay, unless the kelurahan found is exactly their span.
    kept = {(e["entity"], e["start"], e["end"]) for e in found}
    spans_found = {(e["start"], e["end"]) for e in kelurahan}
    for entity in entities:
        if entity["entity"] != "kelurahan" and (entity["start"], entity["end"]) not in spans_found:
            assert (entity["entity"], entity["start"], entity["end"]) in kept


def test_a_kelurahan_inside_a_facility_name_stays_part_of_it(storage: LocalModelStorage) -> None:
    text = "antri di puskesmas Sukorame, rumah saya di Bandar Lor"
    facility = {"entity": "facility", "start": 9, "end": 27, "value": "puskesmas Sukorame"}
    message = tokenized(text, [dict(facility)])
    kelurahan_extractor(storage, set()).process([message])
    found = [(e["entity"], e["value"]) for e in message.get(ENTITIES)]
    assert found == [("facility", "puskesmas Sukorame"), ("kelurahan", "Bandar Lor")]


@PROPERTY
@given(st.lists(any_text, max_size=5), st.lists(st.text(max_size=20), max_size=5))
def test_trained_common_words_survive_storage(
    storage: LocalModelStorage, texts: List[str], extra_words: List[str]
) -> None:
    examples = [tokenized(text) for text in texts]
    for example_ in examples:
        example_.set(INTENT, "report")
    extractor = kelurahan_extractor(storage, set())
    resource = extractor.train(TrainingData(training_examples=examples))
    loaded = KelurahanExtractor.load({}, storage, resource, None)  # type: ignore[arg-type]
    expected = {
        token.text.lower() for example_ in examples for token in example_.get(TOKENS_NAMES[TEXT])
    }
    assert loaded._common_words == expected


@PROPERTY
@given(pieced_text() | tagged_text(names=("location", "location", "kelurahan")))
@example(("lewat trotoar jl. veteran, tapi", [
    {"entity": "location", "start": 14, "end": 16, "value": "jl"},
    {"entity": "location", "start": 18, "end": 25, "value": "veteran"},
]))  # fmt: skip
def test_merged_locations_are_spans_of_the_text(case: Tuple[str, List[Dict[str, Any]]]) -> None:
    text, entities = case
    snapshot = [dict(e) for e in entities]
    merged = merge_locations(text, entities)
    assert entities == snapshot  # the message's own entities are not edited in place

    assert len(merged) <= len(entities)
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(merged))
    for entity in merged:
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["value"] == text[entity["start"] : entity["end"]]
    # Every character tagged before is still tagged, with the same entity.
    for entity in entities:
        assert any(
            m["entity"] == entity["entity"] and m["start"] <= entity["start"] < m["end"]
            for m in merged
        )
    assert [e for e in merged if e["entity"] != "location"] == [
        e for e in entities if e["entity"] != "location"
    ]

    message = Message(data={TEXT: text, ENTITIES: entities})
    assert LocationSpanMerger({}).process([message]) == [message]
    assert [(e["start"], e["end"]) for e in message.get(ENTITIES)] == [
        (e["start"], e["end"]) for e in trim_locations(text, merged)
    ]
    for entity in trim_locations(text, merged):
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["value"] == text[entity["start"] : entity["end"]]


INTENTS = [
    "emergency_medical",
    "emergency_fire",
    "emergency_accident",
    "emergency_crime",
    "prank",
    "nlu_fallback",
    "report_health",
    "report_road",
    "greet",
]


@st.composite
def classified(draw: st.DrawFn) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """An intent and ranking as DIET (then the FallbackClassifier) leave them."""
    names = draw(st.lists(st.sampled_from(INTENTS) | st.text(max_size=15), unique=True))
    weights = draw(st.lists(st.floats(0, 1), min_size=len(names), max_size=len(names)))
    total = sum(weights)
    # Normalised as a softmax is: in floating point the sum may pass 1 a little.
    ranking = [
        {"name": name, "confidence": weight / total if total else 0.0}
        for name, weight in zip(names, weights, strict=True)
    ]
    ranking.sort(key=lambda r: -r["confidence"])
    fallback = {"name": "nlu_fallback", "confidence": draw(st.floats(0, 1))}
    intent = draw(
        st.sampled_from(
            [
                *ranking[:1],
                fallback,
                {"name": None, "confidence": 0.0},  # DIET with nothing to go on
                {},
            ]
        )
    )
    if intent is fallback:
        ranking.insert(0, fallback)
    return intent, ranking


thresholds = st.floats(min_value=0.01, max_value=1)
# Five softmax-like confidences whose floating-point sum is 1.0000000000000002.
WEIGHTS = [0.37052266664574673, 0.7327658089218658, 0.4693201411030239, 0.308529426927731,
           0.8483015744625606]  # fmt: skip
PAST_ONE = [
    {"name": f"emergency_{n}", "confidence": weight / sum(WEIGHTS)}
    for n, weight in enumerate(WEIGHTS)
]


@PROPERTY
@given(classified(), thresholds)
@example(({"name": None, "confidence": 0.0}, []), 0.35)
@example(({"name": "nlu_fallback", "confidence": 0.55}, PAST_ONE), 0.35)
def test_emergency_priority_keeps_a_valid_ranking(
    case: Tuple[Dict[str, Any], List[Dict[str, Any]]], threshold: float
) -> None:
    intent, ranking = case
    chosen, reranked, changed = prioritise(intent, ranking, threshold)
    if not changed:
        assert (chosen, reranked) == (intent, ranking)
    else:
        assert not (intent.get("name") or "").startswith("emergency_")
        assert intent.get("name") != "prank"
        assert chosen["name"].startswith("emergency_") and reranked[0] == chosen
        assert threshold <= chosen["confidence"] <= 1
        assert sorted(r["name"] for r in reranked) == sorted(r["name"] for r in ranking)
        assert [r for r in reranked[1:]] == [r for r in ranking if r["name"] != chosen["name"]]

    message = Message(data={TEXT: "x", INTENT: intent, INTENT_RANKING_KEY: ranking})
    component = EmergencyPriority({"threshold": threshold})
    assert component.process([message]) == [message]
    assert message.get(INTENT) == chosen
    assert message.get(INTENT_RANKING_KEY) == reranked
    assert bool(message.get("emergency_priority")) == changed

"""Intent figures of a model on labelled messages: what `make eval` reports and
what the deploy gate (lapor/nlu/gate.py) compares.

Pure: the predictions come from whoever ran the model (the trainer worker,
tests/nlu/evaluate.py), as Rasa's parse results.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Mapping, Sequence, Tuple

EMERGENCY_PREFIX = "emergency_"
FALLBACK = "nlu_fallback"

Figures = Dict[str, Any]


def top_intent(prediction: Mapping[str, Any]) -> str:
    """The intent a prediction names; for nlu_fallback the top-ranked real intent
    (what the unsure offer works with: the fallback rate is reported apart)."""
    name = str((prediction.get("intent") or {}).get("name", ""))
    if name != FALLBACK:
        return name
    ranking = [r for r in prediction.get("intent_ranking") or [] if r["name"] != FALLBACK]
    return str(ranking[0]["name"]) if ranking else name


def f1(tp: int, fp: int, fn: int) -> Tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, score


def intent_figures(gold: Sequence[str], top: Sequence[str]) -> Figures:
    """Accuracy, emergency recall and precision (any emergency_* against the rest:
    the bot's answer is the same 112 instruction) and per-intent P/R/F1."""
    pairs = list(zip(gold, top, strict=True))
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for g, t in pairs:
        if g == t:
            counts[g][0] += 1
        else:
            counts[t][1] += 1
            counts[g][2] += 1
    per_intent = {}
    for intent in sorted(set(gold)):
        tp, fp, fn = counts[intent]
        precision, recall, score = f1(tp, fp, fn)
        per_intent[intent] = {
            "support": tp + fn,
            "precision": precision,
            "recall": recall,
            "f1": score,
        }
    is_em = [g.startswith(EMERGENCY_PREFIX) for g in gold]
    said_em = [t.startswith(EMERGENCY_PREFIX) for t in top]
    em_p, em_r, _ = f1(
        sum(a and b for a, b in zip(is_em, said_em, strict=True)),
        sum(b and not a for a, b in zip(is_em, said_em, strict=True)),
        sum(a and not b for a, b in zip(is_em, said_em, strict=True)),
    )
    return {
        "examples": len(pairs),
        "intent_accuracy": sum(g == t for g, t in pairs) / len(pairs) if pairs else 0.0,
        "emergencies": sum(is_em),
        "emergency_recall": em_r,
        "emergency_precision": em_p,
        "per_intent": per_intent,
    }


def model_figures(sets: Mapping[str, Sequence[Tuple[str, str, Mapping[str, Any]]]]) -> Figures:
    """Figures per held-out set and over all of them, plus every message's outcome.

    `sets` maps a set's name to (text, gold intent, Rasa's parse result) triples.
    """
    messages: List[Dict[str, Any]] = []
    for name, rows in sets.items():
        for text, gold, prediction in rows:
            confidence = (prediction.get("intent") or {}).get("confidence")
            messages.append(
                {
                    "set": name,
                    "text": text,
                    "gold": gold,
                    "predicted": top_intent(prediction),
                    "confidence": None if confidence is None else round(float(confidence), 4),
                }
            )
    by_set = {
        name: intent_figures(
            [m["gold"] for m in messages if m["set"] == name],
            [m["predicted"] for m in messages if m["set"] == name],
        )
        for name in sets
    }
    overall = intent_figures([m["gold"] for m in messages], [m["predicted"] for m in messages])
    return {"overall": overall, "sets": by_set, "messages": messages}

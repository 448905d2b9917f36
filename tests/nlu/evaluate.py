"""Evaluate the NLU on the held-out sets: `make eval` (or python -m tests.nlu.evaluate).

For each held-out set (tests/nlu/heldout*.yml): intent accuracy, macro-F1 over
the complaint intents, emergency recall and precision (any emergency_* against
everything else), kelurahan accuracy, location exact-match and overlap F1, and
exact-match F1 of the other entities of the labelling rule (docs/nlu.md);
writes reports/nlu_eval_<set>.{json,md} and reports/confusion_matrix_<set>.png.

Then conversation outcomes, as the bot would answer each message (the NLU's
intent, then actions/unsure.py for an unsure one): of real-style complaints
(tests/nlu/outcome_complaints.yml), how many end in the fallback menu without
the offer to file; of junk (outcome_junk.yml), how many would start a
complaint. Nothing here is tuned on these files: they are only scored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import yaml

from lapor.nlu.scoring import f1, intent_figures, top_intent
from lapor.paths import REPO_ROOT

# Two sets written independently of the training data (and of each other).
HELDOUT = sorted((REPO_ROOT / "tests" / "nlu").glob("heldout*.yml"))
OUTCOME_COMPLAINTS = REPO_ROOT / "tests" / "nlu" / "outcome_complaints.yml"
OUTCOME_JUNK = REPO_ROOT / "tests" / "nlu" / "outcome_junk.yml"
REPORTS = REPO_ROOT / "reports"
GOALS = {
    "intent_accuracy": 0.95,
    "complaint_macro_f1": 0.95,
    "emergency_recall": 0.98,
    "emergency_precision": 0.95,
    "kelurahan_accuracy": 0.95,
    "location_f1": 0.80,
}
# Entities of the labelling rule besides location and kelurahan (docs/nlu.md).
OTHER_ENTITIES = ("rt_rw", "programme", "facility", "customer_number", "pole_number")
# Conversation-outcome goals (at most): complaints dismissed, junk turned into complaints.
FALLBACK_WITHOUT_OFFER_MAX, JUNK_TO_COMPLAINT_MAX = 0.05, 0.02

# [text](entity) or [text]{"entity": ..., "value": ...}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]+\}))")


@dataclass
class Example:
    intent: str
    text: str
    entities: List[Dict[str, Any]] = field(default_factory=list)


def parse_line(line: str) -> Tuple[str, List[Dict[str, Any]]]:
    """Rasa's markdown-ish annotations -> plain text and entity spans."""
    text, entities, cursor = "", [], 0
    for match in _ANNOTATION.finditer(line):
        text += line[cursor : match.start()]
        start = len(text)
        text += match["text"]
        if match["entity"]:
            entity, value = match["entity"], match["text"]
        else:
            spec = json.loads(match["json"])
            entity, value = spec["entity"], spec.get("value", match["text"])
        entities.append({"entity": entity, "start": start, "end": len(text), "value": value})
        cursor = match.end()
    return text + line[cursor:], entities


def load_examples(path: Path) -> List[Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in data["nlu"]:
        if "intent" not in block:
            continue
        for raw in block["examples"].splitlines():
            line = raw.strip()
            if line.startswith("- "):
                text, entities = parse_line(line[2:].strip())
                examples.append(Example(block["intent"], text, entities))
    return examples


def metrics(examples: Sequence[Example], predictions: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    gold = [e.intent for e in examples]
    predicted = [p["intent"]["name"] if p.get("intent") else "" for p in predictions]
    # nlu_fallback is what the bot does with an unsure prediction: use the
    # top-ranked real intent for intent metrics (the fallback rate is reported).
    top = [top_intent(p) for p in predictions]
    figures = intent_figures(gold, top)
    per_intent = figures["per_intent"]
    reports = sorted({g for g in gold if g.startswith("report_")})
    return {
        "examples": len(gold),
        "intent_accuracy": figures["intent_accuracy"],
        "complaint_macro_f1": sum(per_intent[i]["f1"] for i in reports) / len(reports),
        "emergency_recall": figures["emergency_recall"],
        "emergency_precision": figures["emergency_precision"],
        "fallback_rate": sum(p == "nlu_fallback" for p in predicted) / len(predicted),
        # How often EmergencyPriority overrode the model, and how often rightly.
        "emergency_priority_used": sum(bool(p.get("emergency_priority")) for p in predictions),
        "emergency_priority_right": sum(
            bool(p.get("emergency_priority")) and g.startswith("emergency_")
            for p, g in zip(predictions, gold, strict=True)
        ),
        **_kelurahan(examples, predictions),
        **_locations(examples, predictions),
        "entities": {name: _entity_f1(name, examples, predictions) for name in OTHER_ENTITIES},
        "per_intent": per_intent,
        "confusions": Counter(
            f"{g} -> {t}" for g, t in zip(gold, top, strict=True) if g != t
        ).most_common(25),
    }


def _kelurahan(
    examples: Sequence[Example], predictions: Sequence[Dict[str, Any]]
) -> Dict[str, Any]:
    """Messages whose set of kelurahan values is exactly right, among those
    that name one or where one was predicted (a wrong tag on a message
    without any also counts against)."""
    judged = correct = 0
    mistakes = []
    for example, prediction in zip(examples, predictions, strict=True):
        wanted = {e["value"] for e in example.entities if e["entity"] == "kelurahan"}
        got = {e["value"] for e in prediction.get("entities", []) if e["entity"] == "kelurahan"}
        if not wanted and not got:
            continue
        judged += 1
        if wanted == got:
            correct += 1
        else:
            mistakes.append({"text": example.text, "wanted": sorted(wanted), "got": sorted(got)})
    return {
        "kelurahan_accuracy": correct / judged if judged else 1.0,
        "kelurahan_judged": judged,
        "kelurahan_mistakes": mistakes[:30],
    }


def _locations(
    examples: Sequence[Example], predictions: Sequence[Dict[str, Any]]
) -> Dict[str, Any]:
    """Span F1 for `location`: exact spans, and overlapping spans (lenient)."""
    exact = [0, 0, 0]
    overlap = [0, 0, 0]
    for example, prediction in zip(examples, predictions, strict=True):
        wanted = _spans(example.entities)
        got = _spans(prediction.get("entities", []))
        exact[0] += len(wanted & got)
        exact[1] += len(got - wanted)
        exact[2] += len(wanted - got)
        hit_w = {w for w in wanted if any(_overlaps(w, g) for g in got)}
        hit_g = {g for g in got if any(_overlaps(w, g) for w in wanted)}
        overlap[0] += len(hit_w)
        overlap[1] += len(got - hit_g)
        overlap[2] += len(wanted - hit_w)
    return {
        "location_f1": f1(*exact)[2],
        "location_precision": f1(*exact)[0],
        "location_recall": f1(*exact)[1],
        "location_f1_overlap": f1(*overlap)[2],
    }


def _entity_f1(
    name: str, examples: Sequence[Example], predictions: Sequence[Dict[str, Any]]
) -> Dict[str, Any]:
    """Exact span and value F1 of one entity; `support` is how many the set labels."""
    counts = [0, 0, 0]
    support = 0
    for example, prediction in zip(examples, predictions, strict=True):
        wanted = _valued(example.entities, name)
        got = _valued(prediction.get("entities", []), name)
        support += len(wanted)
        counts[0] += len(wanted & got)
        counts[1] += len(got - wanted)
        counts[2] += len(wanted - got)
    precision, recall, score = f1(*counts)
    return {"support": support, "precision": precision, "recall": recall, "f1": score}


def _valued(entities: Sequence[Dict[str, Any]], name: str) -> Set[Tuple[int, int, str]]:
    return {
        (e["start"], e["end"], str(e.get("value", "")).lower())
        for e in entities
        if e["entity"] == name
    }


def _spans(entities: Sequence[Dict[str, Any]]) -> Set[Tuple[int, int]]:
    return {(e["start"], e["end"]) for e in entities if e["entity"] == "location"}


def _overlaps(a: Tuple[int, int], b: Tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def load_agent(model: Path) -> Any:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parse at debug level
    return Agent.load(str(model))


async def parse_all(agent: Any, texts: Sequence[str]) -> List[Dict[str, Any]]:
    return [await agent.parse_message(text) for text in texts]


async def predict(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    return await parse_all(load_agent(model), texts)


def latest_model() -> Path:
    models = sorted((REPO_ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        sys.exit("no trained model under models/: run `make train`")
    return models[-1]


def write_reports(
    name: str, result: Dict[str, Any], examples: Sequence[Example], top: List[str]
) -> None:
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"nlu_eval_{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    lines = [f"# NLU evaluation on tests/nlu/{name}.yml", ""]
    lines += [f"- {k}: {result[k]:.3f}" for k in HEADLINE]
    lines += ["", "| intent | precision | recall | f1 |", "|---|---|---|---|"]
    lines += [
        f"| {i} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} |"
        for i, m in result["per_intent"].items()
    ]
    (REPORTS / f"nlu_eval_{name}.md").write_text("\n".join(lines) + "\n")
    _confusion_png(name, [e.intent for e in examples], top)


def _confusion_png(name: str, gold: List[str], top: List[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(set(gold) | set(top))
    index = {label: i for i, label in enumerate(labels)}
    grid = [[0] * len(labels) for _ in labels]
    for g, t in zip(gold, top, strict=True):
        grid[index[g]][index[t]] += 1
    fig, ax = plt.subplots(figsize=(12, 11))
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i, row in enumerate(grid):
        for j, count in enumerate(row):
            if count:
                ax.text(
                    j,
                    i,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if count > 10 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("held-out label")
    ax.set_title(f"Intent confusion matrix (tests/nlu/{name}.yml)")
    fig.tight_layout()
    fig.savefig(REPORTS / f"confusion_matrix_{name}.png", dpi=110)
    plt.close(fig)


HEADLINE = (
    "intent_accuracy",
    "complaint_macro_f1",
    "emergency_recall",
    "emergency_precision",
    "kelurahan_accuracy",
    "location_f1",
    "location_f1_overlap",
    "fallback_rate",
)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="model archive (default: newest in models/)")
    parser.add_argument("--data", type=Path, nargs="*", default=HELDOUT)
    args = parser.parse_args(argv)
    agent = load_agent(args.model or latest_model())
    for path in args.data:
        examples = load_examples(path)
        predictions = asyncio.run(parse_all(agent, [e.text for e in examples]))
        result = metrics(examples, predictions)
        write_reports(path.stem, result, examples, [top_intent(p) for p in predictions])
        report(path, result)
    for path, junk in ((OUTCOME_COMPLAINTS, False), (OUTCOME_JUNK, True)):
        if path.exists():
            examples = load_examples(path)
            predictions = asyncio.run(parse_all(agent, [e.text for e in examples]))
            report_outcomes(path, examples, predictions, junk)
    # Goals are reported, not enforced here: the numbers go to docs/nlu.md.
    return 0


def outcome(prediction: Dict[str, Any]) -> str:
    """What the bot does with a message: starts a complaint, an emergency, the
    unsure offer, the fallback menu alone, or another answer (greeting, menu)."""
    from actions.unsure import looks_like_complaint

    name = str((prediction.get("intent") or {}).get("name", ""))
    if name.startswith("report_"):
        return "complaint"
    if name.startswith("emergency_"):
        return "emergency"
    if name == "nlu_fallback":
        text = str(prediction.get("text") or "")
        entities = prediction.get("entities") or []
        ranking = prediction.get("intent_ranking") or []
        return "offer" if looks_like_complaint(text, entities, ranking) else "fallback"
    return "other"


def report_outcomes(
    path: Path, examples: Sequence[Example], predictions: Sequence[Dict[str, Any]], junk: bool
) -> Dict[str, Any]:
    outcomes = [outcome(p) for p in predictions]
    counts = Counter(outcomes)
    total = len(outcomes)
    share = {
        k: counts.get(k, 0) / total
        for k in ("complaint", "emergency", "offer", "fallback", "other")
    }
    right = sum(
        o == "complaint" and top_intent(p) == e.intent
        for o, p, e in zip(outcomes, predictions, examples, strict=True)
    )
    print(f"\n{path.relative_to(REPO_ROOT)}: {total} messages, as the bot would answer them")
    for key, value in share.items():
        print(f"{key:>22}: {value:.3f} ({counts.get(key, 0)})")
    if junk:
        mark = "ok" if share["complaint"] <= JUNK_TO_COMPLAINT_MAX else "ABOVE GOAL"
        print(f"{'junk -> complaint':>22}: {share['complaint']:.3f} {mark} {JUNK_TO_COMPLAINT_MAX}")
    else:
        mark = "ok" if share["fallback"] <= FALLBACK_WITHOUT_OFFER_MAX else "ABOVE GOAL"
        goal = FALLBACK_WITHOUT_OFFER_MAX
        print(f"{'fallback, no offer':>22}: {share['fallback']:.3f} {mark} {goal}")
        print(f"{'right category':>22}: {right / total:.3f}")
    result = {"messages": total, **share, "right_category": right / total}
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"nlu_outcomes_{path.stem}.json").write_text(json.dumps(result, indent=2))
    return result


def report(path: Path, result: Dict[str, Any]) -> None:
    print(f"\n{path.relative_to(REPO_ROOT)}: {result['examples']} held-out examples")
    for key in HEADLINE:
        goal = GOALS.get(key)
        missed = goal is not None and result[key] < goal
        mark = "" if goal is None else (f" BELOW GOAL {goal}" if missed else " ok")
        print(f"{key:>22}: {result[key]:.3f}{mark}")
    for name, scores in result["entities"].items():
        if scores["support"]:
            p, r, n = scores["precision"], scores["recall"], scores["support"]
            print(f"{name:>22}: f1 {scores['f1']:.3f} (p {p:.2f}, r {r:.2f}, {n} labelled)")
    print(
        f"emergency priority overrides: {result['emergency_priority_used']} "
        f"({result['emergency_priority_right']} were emergencies)"
    )
    print("most frequent confusions:")
    for pair, count in result["confusions"][:8]:
        print(f"  {count:3d}  {pair}")
    name = path.stem
    print(f"reports: reports/nlu_eval_{name}.md, reports/confusion_matrix_{name}.png")


if __name__ == "__main__":
    sys.exit(main())

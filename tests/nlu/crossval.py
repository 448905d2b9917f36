"""Cross-validate the NLU on its own training data (python -m tests.nlu.crossval).

Used to choose settings without looking at the held-out sets: the training
examples are split into k stratified folds; each fold is predicted by a model
trained on the others. Prints intent accuracy and emergency recall/precision
for several EmergencyPriority thresholds (the component is left out of the
fold models and applied afterwards, so one training serves every threshold).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from bot.components.emergency import prioritise
from tests.nlu.evaluate import OTHER_ENTITIES, REPO_ROOT, Example, metrics, parse_line, predict

NLU_DIR = REPO_ROOT / "data" / "nlu"
CONFIG = REPO_ROOT / "bot" / "config.yml"
THRESHOLDS: Sequence[Optional[float]] = (None, 0.25, 0.35, 0.5, 0.65)


def raw_examples() -> Tuple[Dict[str, List[str]], List[Dict[str, Any]]]:
    """{intent: [annotated lines]} and the non-intent blocks (regexes)."""
    by_intent: Dict[str, List[str]] = defaultdict(list)
    others: List[Dict[str, Any]] = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in block:
                others.append(block)
                continue
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    by_intent[block["intent"]].append(line.strip()[2:])
    return by_intent, others


def write_nlu(path: Path, by_intent: Dict[str, List[str]], others: List[Dict[str, Any]]) -> None:
    blocks: List[Dict[str, Any]] = [
        {"intent": intent, "examples": "".join(f"- {line}\n" for line in lines)}
        for intent, lines in by_intent.items()
        if lines
    ]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks + others}, allow_unicode=True))


def fold_config(source: Path, path: Path) -> None:
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    config["pipeline"] = [c for c in config["pipeline"] if "EmergencyPriority" not in c["name"]]
    path.write_text(yaml.safe_dump(config, allow_unicode=True))


def train(config: Path, nlu: Path, out: Path) -> Path:
    subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "rasa"),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(nlu),
            "--out",
            str(out),
            "--fixed-model-name",
            "fold",
        ],
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return out / "fold.tar.gz"


def scores(results: List[Tuple[str, Dict[str, Any]]], threshold: Optional[float]) -> str:
    right = em_tp = em_fp = em_fn = 0
    for gold, prediction in results:
        intent = prediction.get("intent") or {}
        ranking = prediction.get("intent_ranking") or []
        if threshold is not None:
            intent, ranking, _ = prioritise(intent, ranking, threshold)
        name = intent.get("name", "")
        if name == "nlu_fallback":
            name = next((r["name"] for r in ranking if r["name"] != "nlu_fallback"), name)
        right += name == gold
        is_em, said_em = gold.startswith("emergency_"), name.startswith("emergency_")
        em_tp += is_em and said_em
        em_fp += said_em and not is_em
        em_fn += is_em and not said_em
    recall = em_tp / (em_tp + em_fn) if em_tp + em_fn else 0.0
    precision = em_tp / (em_tp + em_fp) if em_tp + em_fp else 0.0
    label = "off" if threshold is None else f"{threshold:.2f}"
    return (
        f"threshold {label:>4}: intent accuracy {right / len(results):.3f}, "
        f"emergency recall {recall:.3f}, precision {precision:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--config", type=Path, default=CONFIG, help="pipeline to try")
    args = parser.parse_args()
    by_intent, others = raw_examples()
    results: List[Tuple[str, Dict[str, Any]]] = []
    examples: List[Example] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fold_config(args.config, work / "config.yml")
        for k in range(args.folds):
            train_part = {
                i: [x for n, x in enumerate(v) if n % args.folds != k] for i, v in by_intent.items()
            }
            test_part = [
                (i, x) for i, v in by_intent.items() for n, x in enumerate(v) if n % args.folds == k
            ]
            write_nlu(work / "train.yml", train_part, others)
            model = train(work / "config.yml", work / "train.yml", work / f"model{k}")
            parsed = [parse_line(line) for _, line in test_part]
            predictions = asyncio.run(predict(model, [text for text, _ in parsed]))
            results += [(gold, p) for (gold, _), p in zip(test_part, predictions, strict=True)]
            examples += [
                Example(gold, text, entities)
                for (gold, _), (text, entities) in zip(test_part, parsed, strict=True)
            ]
            print(f"fold {k + 1}/{args.folds} done", flush=True)
    print(f"{len(results)} training examples, {args.folds}-fold cross-validation")
    for threshold in THRESHOLDS:
        print(scores(results, threshold))
    # Without the emergency priority: the complaint categories and the entities.
    found = metrics(examples, [p for _, p in results])
    macro, fallback = found["complaint_macro_f1"], found["fallback_rate"]
    print(f"complaint macro-F1 {macro:.3f}, fallback {fallback:.3f}")
    print(
        f"location exact F1 {found['location_f1']:.3f}, overlap {found['location_f1_overlap']:.3f}"
    )
    for name in OTHER_ENTITIES:
        scored = found["entities"][name]
        if scored["support"]:
            print(f"{name} F1 {scored['f1']:.3f} ({scored['support']} labelled)")


if __name__ == "__main__":
    main()

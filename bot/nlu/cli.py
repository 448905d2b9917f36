"""`python -m bot nlu ...`: the trainer worker and model evaluation.

    python -m bot nlu train [--once]       take trainings the editors ask for
    python -m bot nlu evaluate MODEL [--heldout DIR] [--json FILE] [--gate]
                                           [--deployed FIGURES.json]

The editors' other operations (saving examples, asking for a training,
deploying, rolling back) are the backend's: `python -m backend nlu --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import List, Optional

from bot.settings import get_settings
from lapor import logs
from lapor.nlu import gate
from lapor.nlu.scoring import Figures
from lapor.paths import REPO_ROOT
from lapor.settings import ConfigError


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure_rasa()
    if args.command == "train":
        return _train(args.once)
    return _evaluate(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot nlu", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="the trainer worker")
    train.add_argument("--once", action="store_true", help="stop when no training waits")
    evaluate = commands.add_parser("evaluate", help="a model's figures on the held-out sets")
    evaluate.add_argument("model", type=Path)
    evaluate.add_argument("--heldout", type=Path, default=REPO_ROOT / "tests" / "nlu")
    evaluate.add_argument("--json", type=Path, help="write the figures here")
    evaluate.add_argument("--gate", action="store_true", help="exit 1 when the gate refuses")
    evaluate.add_argument("--deployed", type=Path, help="the deployed model's figures (JSON)")
    evaluate.add_argument("--emergency-recall", type=float, default=gate.DEFAULT_EMERGENCY_RECALL)
    evaluate.add_argument("--accuracy-margin", type=float, default=gate.DEFAULT_ACCURACY_MARGIN)
    return parser


def _train(once: bool) -> int:
    from bot.nlu import worker

    try:
        settings = get_settings()
        settings.check_production()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    settings.announce("trainer")
    return asyncio.run(
        worker.serve(
            settings.backend_url,
            settings.editor_token,
            settings.nlu_data_repo,
            settings.trainer_config,
            settings.trainer_poll_seconds,
            once=once,
        )
    )


def _evaluate(args: argparse.Namespace) -> int:
    from bot.nlu.evaluation import evaluate

    figures = asyncio.run(evaluate(args.model, args.heldout))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    print(summary(figures))
    if not args.gate:
        return 0
    deployed = json.loads(args.deployed.read_text(encoding="utf-8")) if args.deployed else None
    floors = gate.Floors(args.emergency_recall, args.accuracy_margin)
    reasons = gate.refusals(figures, deployed, floors)
    for reason in reasons:
        print(f"REFUSED: {reason}")
    print("gate: refused" if reasons else "gate: passed")
    return 1 if reasons else 0


def summary(figures: Figures) -> str:
    lines = []
    for name, row in [("overall", figures["overall"]), *figures["sets"].items()]:
        lines.append(
            f"{name:>10}: {row['examples']:5d} messages, intent accuracy "
            f"{row['intent_accuracy']:.3f}, emergency recall {row['emergency_recall']:.3f} "
            f"({row['emergencies']} emergencies), precision {row['emergency_precision']:.3f}"
        )
    return "\n".join(lines)

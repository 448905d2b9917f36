"""Precision and recall of the duplicate detector on the labelled pairs.

`make eval-duplicates` (python -m backend.duplicates_eval) prints, for
data/duplicates/pairs.yml (used to choose rules.yml) and heldout.yml (never
used to choose), the confusion counts, precision, recall, F1, and the error
rate of each hard-negative group, so a threshold change shows what it costs.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml

from backend.duplicates import RULES_FILE, Candidate, Rules, score
from lapor.paths import DATA
from lapor.timeutil import parse_iso

PAIRS_FILE = DATA / "duplicates" / "pairs.yml"
HELDOUT_FILE = DATA / "duplicates" / "heldout.yml"
POSITIVE = "positive"
GROUPS = (POSITIVE, "other_category", "next_street", "month_apart", "different_problem", "other")


@dataclass(frozen=True)
class Pair:
    id: str
    group: str
    same: bool
    why: str
    a: Candidate
    b: Candidate


@dataclass(frozen=True)
class Report:
    tp: int
    fp: int
    fn: int
    tn: int
    errors: Mapping[str, int]  # group -> wrong predictions
    sizes: Mapping[str, int]  # group -> pairs
    wrong: Sequence[str]  # ids of the pairs predicted wrong

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_pairs(path: Path) -> List[Pair]:
    """The labelled pairs; ValueError naming the pair when one is malformed."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = [_pair(item, f"{path.name}[{i}]") for i, item in enumerate(raw.get("pairs") or ())]
    duplicated = [k for k, n in Counter(p.id for p in pairs).items() if n > 1]
    if duplicated:
        raise ValueError(f"{path}: duplicated pair ids {duplicated}")
    return pairs


def _pair(item: Mapping[str, Any], where: str) -> Pair:
    pair_id = str(item.get("id") or "")
    group = str(item.get("group") or "")
    same = item.get("same")
    why = str(item.get("why") or "").strip()
    if not pair_id or group not in GROUPS or not isinstance(same, bool) or not why:
        raise ValueError(f"{where}: needs id, a group in {GROUPS}, same: true|false and why")
    if same != (group == POSITIVE):
        raise ValueError(f"{where} ({pair_id}): same={same} contradicts group {group!r}")
    return Pair(pair_id, group, same, why, _ticket(item, "a", pair_id), _ticket(item, "b", pair_id))


def _ticket(item: Mapping[str, Any], side: str, pair_id: str) -> Candidate:
    raw = item.get(side)
    if not isinstance(raw, Mapping):
        raise ValueError(f"{pair_id}.{side}: missing")
    try:
        return Candidate(
            service_request_id=f"{pair_id}{side}",
            service_code=str(raw["service_code"]),
            description=str(raw["description"]),
            lat=float(raw["lat"]),
            long=float(raw["long"]),
            requested_at=parse_iso(str(raw["requested_at"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{pair_id}.{side}: {exc!r}") from None


def evaluate(pairs: Sequence[Pair], rules: Rules) -> Report:
    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    wrong: List[str] = []
    for pair in pairs:
        predicted = score(pair.a, pair.b, rules) is not None
        counts[_cell(pair.same, predicted)] += 1
        if predicted != pair.same:
            errors[pair.group] += 1
            wrong.append(pair.id)
    return Report(
        tp=counts["tp"],
        fp=counts["fp"],
        fn=counts["fn"],
        tn=counts["tn"],
        errors=dict(errors),
        sizes=dict(Counter(p.group for p in pairs)),
        wrong=wrong,
    )


def _cell(same: bool, predicted: bool) -> str:
    if predicted:
        return "tp" if same else "fp"
    return "fn" if same else "tn"


def render(name: str, report: Report, show_wrong: bool) -> str:
    lines = [
        f"{name}: {sum(report.sizes.values())} pairs",
        f"  precision {report.precision:.3f}  recall {report.recall:.3f}  F1 {report.f1:.3f}",
        f"  tp {report.tp}  fp {report.fp}  fn {report.fn}  tn {report.tn}",
        "  error rate by group (positive = missed duplicates, others = false alarms):",
    ]
    for group in GROUPS:
        size = report.sizes.get(group, 0)
        if size:
            errs = report.errors.get(group, 0)
            lines.append(f"    {group:<18} {errs:>3}/{size:<3} {errs / size:.2f}")
    if show_wrong and report.wrong:
        lines.append("  wrong: " + ", ".join(report.wrong))
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", type=Path, default=RULES_FILE)
    parser.add_argument("--wrong", action="store_true", help="list the pairs predicted wrong")
    args = parser.parse_args(argv)
    rules = Rules.load(args.rules)
    results: Dict[str, Report] = {
        path.name: evaluate(load_pairs(path), rules) for path in (PAIRS_FILE, HELDOUT_FILE)
    }
    print("\n".join(render(name, r, args.wrong) for name, r in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

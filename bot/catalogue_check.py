"""Is every complaint category defined completely? (python -m bot.catalogue_check)

A complaint category is one entry in data/services.yml, but the chatbot only
handles it when four more places agree: the intent `report_<code>` in the
domain, the rule that starts the complaint form from that intent, enough
training examples, and a held-out example that measures it. Each part can be
forgotten without any error: the backend offers the category while the bot
never recognises it, never asks the form's questions, or nobody measures how
well it does. Editors add categories by hand, so this names every missing part
before `make train`, and a test keeps the repository's own files complete.

The category `other` ("Lainnya") has no intent: the citizen chooses it with a
button (`choose_category`), so only its entry in services.yml is needed.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, List, Mapping, Sequence, Set

import yaml

from lapor.catalogue import load_catalogue
from lapor.paths import REPO_ROOT, SERVICES_FILE

PREFIX = "report_"
FORM = "report_form"
MIN_EXAMPLES = 20
# Chosen by button only (choose_category), never predicted from text.
BUTTON_ONLY = frozenset({"other"})

DOMAIN_DIR = REPO_ROOT / "bot" / "domain"
RULES_FILE = REPO_ROOT / "data" / "dialogue" / "rules.yml"
NLU_DIR = REPO_ROOT / "data" / "nlu"
HELDOUT = (
    REPO_ROOT / "tests" / "nlu" / "heldout.yml",
    REPO_ROOT / "tests" / "nlu" / "heldout_b.yml",
    REPO_ROOT / "tests" / "nlu" / "heldout_c.yml",
)


def missing_parts(
    services: Path, domain_dir: Path, rules: Path, nlu_dir: Path, heldout: Sequence[Path]
) -> List[str]:
    """One line per missing part, naming the category code (empty: all complete)."""
    codes = set(load_catalogue(services).services)
    declared = domain_intents(domain_dir)
    parts = Parts(
        declared=declared,
        starting=form_starting_intents(rules),
        training=example_counts(sorted(nlu_dir.glob("*.yml"))),
        measured=example_counts(heldout),
    )
    where = Where(_show(domain_dir), _show(rules), _show(nlu_dir), [p.name for p in heldout])
    problems = [line for code in sorted(codes - BUTTON_ONLY) for line in parts.missing(code, where)]
    return problems + _intents_without_service(declared, codes, _show(services))


@dataclass(frozen=True)
class Where:
    """The files named in the problem lines."""

    domain_dir: str
    rules: str
    nlu_dir: str
    heldout: List[str]


@dataclass(frozen=True)
class Parts:
    """What the domain, rules, training and held-out files define, per intent."""

    declared: Set[str]
    starting: Set[str]
    training: Counter[str]
    measured: Counter[str]

    def missing(self, code: str, where: Where) -> List[str]:
        intent = PREFIX + code
        problems = []
        if intent not in self.declared:
            problems.append(f"intent {intent} is not declared in {where.domain_dir}")
        if intent not in self.starting:
            problems.append(f"no rule in {where.rules} starts {FORM} from intent {intent}")
        if self.training[intent] < MIN_EXAMPLES:
            problems.append(
                f"{self.training[intent]} training examples of {intent} in {where.nlu_dir}"
                f" (at least {MIN_EXAMPLES} needed)"
            )
        if not self.measured[intent]:
            problems.append(f"no held-out example of {intent} in {', '.join(where.heldout)}")
        return [f"{code}: {problem}" for problem in problems]


def _intents_without_service(declared: Set[str], codes: Set[str], services: str) -> List[str]:
    return [
        f"{intent[len(PREFIX) :]}: intent {intent} is in the domain"
        f" but {services} has no service with that code"
        for intent in sorted(declared)
        if intent.startswith(PREFIX) and intent[len(PREFIX) :] not in codes
    ]


def domain_intents(domain_dir: Path) -> Set[str]:
    """The intents declared in every domain file (names or {name: options})."""
    intents: Set[str] = set()
    for path in sorted(domain_dir.rglob("*.yml")):
        for entry in _load(path).get("intents") or []:
            intents.update(entry if isinstance(entry, dict) else [str(entry)])
    return intents


def form_starting_intents(rules: Path) -> Set[str]:
    """Intents that start the complaint form: a rule's intents before `action: report_form`,
    in rules whose condition is not the form already running."""
    intents: Set[str] = set()
    for rule in _load(rules).get("rules") or []:
        if {"active_loop": FORM} in (rule.get("condition") or []):
            continue
        before: Set[str] = set()
        for step in rule.get("steps") or []:
            if step.get("action") == FORM:
                intents |= before
                break
            before.update(_step_intents(step))
    return intents


def example_counts(paths: Iterable[Path]) -> Counter[str]:
    """How many examples each intent has in these NLU files."""
    counts: Counter[str] = Counter()
    for path in paths:
        for block in _load(path).get("nlu") or []:
            if "intent" in block:
                counts[block["intent"]] += _count(block.get("examples"))
    return counts


def _step_intents(step: Mapping[str, Any]) -> List[str]:
    if "intent" in step:
        return [str(step["intent"])]
    return [str(s["intent"]) for s in step.get("or") or [] if "intent" in s]


def _count(examples: Any) -> int:
    if isinstance(examples, list):  # the form with metadata: a list of {text: ...}
        return len(examples)
    lines = str(examples or "").splitlines()
    return sum(line.strip().startswith("- ") for line in lines)


def _show(path: Path) -> str:
    """The path as people type it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load(path: Path) -> Mapping[str, Any]:
    # yaml.safe_load's loader in C when built (40 times faster on the NLU files).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return data if isinstance(data, dict) else {}


def main() -> int:
    problems = missing_parts(SERVICES_FILE, DOMAIN_DIR, RULES_FILE, NLU_DIR, HELDOUT)
    for line in problems:
        print(line)
    if problems:
        return 1
    print("every category is complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())

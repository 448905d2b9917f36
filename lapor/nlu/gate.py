"""The deploy gate: whether a new model may replace the deployed one, and what
changed between them (per intent, and the messages whose outcome changed).

The same function decides in the console, on the command line and in `make
test` (tests/nlu/test_gate_model.py), so CI fails below the floors too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from lapor.nlu.scoring import Figures

DEFAULT_EMERGENCY_RECALL = 0.98
DEFAULT_ACCURACY_MARGIN = 0.02


@dataclass(frozen=True)
class Floors:
    emergency_recall: float = DEFAULT_EMERGENCY_RECALL
    # The largest drop in overall intent accuracy against the deployed model.
    accuracy_margin: float = DEFAULT_ACCURACY_MARGIN


def refusals(new: Figures, deployed: Optional[Figures], floors: Floors) -> List[str]:
    """Why the new model may not be deployed (Indonesian, for the editor); empty: it may."""
    reasons = []
    overall = new["overall"]
    recall = overall["emergency_recall"]
    if overall["emergencies"] == 0:
        reasons.append("Tidak ada pesan darurat di set uji, sehingga recall darurat tak terukur.")
    elif recall < floors.emergency_recall:
        missed = round(overall["emergencies"] * (1 - recall))
        reasons.append(
            f"Recall darurat {_pct(recall)} di bawah batas {_pct(floors.emergency_recall)}: "
            f"{missed} dari {overall['emergencies']} pesan darurat tidak dikenali sebagai darurat."
        )
    if deployed is not None:
        before = deployed["overall"]["intent_accuracy"]
        after = overall["intent_accuracy"]
        if before - after > floors.accuracy_margin + 1e-9:
            reasons.append(
                f"Akurasi intent turun dari {_pct(before)} menjadi {_pct(after)} "
                f"(turun {_pct(before - after)}; paling banyak {_pct(floors.accuracy_margin)})."
            )
    return reasons


@dataclass(frozen=True)
class IntentRow:
    intent: str
    support: int
    f1_new: float
    f1_old: Optional[float]

    @property
    def delta(self) -> Optional[float]:
        return None if self.f1_old is None else self.f1_new - self.f1_old


def intent_rows(new: Figures, deployed: Optional[Figures]) -> List[IntentRow]:
    """Per-intent F1 of the new model beside the deployed one's, worst change first."""
    old: Mapping[str, Any] = deployed["overall"]["per_intent"] if deployed else {}
    rows = [
        IntentRow(
            intent,
            int(figures["support"]),
            float(figures["f1"]),
            float(old[intent]["f1"]) if intent in old else None,
        )
        for intent, figures in new["overall"]["per_intent"].items()
    ]
    return sorted(rows, key=lambda r: (r.delta if r.delta is not None else 0.0, r.intent))


def changed_messages(new: Figures, deployed: Optional[Figures]) -> List[Dict[str, Any]]:
    """Held-out messages the two models answer differently, those it got wrong first."""
    if deployed is None:
        return []
    before = {(m["set"], m["text"]): m for m in deployed.get("messages", [])}
    changed = []
    for message in new.get("messages", []):
        old = before.get((message["set"], message["text"]))
        if old is None or old["predicted"] == message["predicted"]:
            continue
        changed.append(
            {
                **message,
                "was": old["predicted"],
                "better": message["predicted"] == message["gold"],
                "worse": old["predicted"] == message["gold"],
            }
        )
    return sorted(changed, key=lambda m: (not m["worse"], m["set"], m["text"]))


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%".replace(".", ",")

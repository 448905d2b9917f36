"""The ticket workflow: the city's statuses, their Open311 status and moves."""

from __future__ import annotations

from typing import Dict, FrozenSet

RECEIVED = "diterima"
VERIFIED = "diverifikasi"
IN_PROGRESS = "diproses"
DONE = "selesai"
REJECTED = "ditolak"
DUPLICATE = "duplikat"

OPEN311_STATUS: Dict[str, str] = {
    RECEIVED: "open",
    VERIFIED: "open",
    IN_PROGRESS: "open",
    DONE: "closed",
    REJECTED: "closed",
    DUPLICATE: "closed",
}

# Closed tickets can be reopened (a citizen reports the fix did not hold), but
# never back to "diterima", which only the citizen's report itself sets.
TRANSITIONS: Dict[str, FrozenSet[str]] = {
    RECEIVED: frozenset({VERIFIED, IN_PROGRESS, DONE, REJECTED, DUPLICATE}),
    VERIFIED: frozenset({IN_PROGRESS, DONE, REJECTED, DUPLICATE}),
    IN_PROGRESS: frozenset({DONE, REJECTED, DUPLICATE}),
    DONE: frozenset({IN_PROGRESS}),
    REJECTED: frozenset({VERIFIED, IN_PROGRESS}),
    DUPLICATE: frozenset({VERIFIED, IN_PROGRESS}),
}

# Closing a ticket without saying why leaves the citizen guessing.
NOTE_REQUIRED = frozenset({DONE, REJECTED, DUPLICATE})

# What citizens read (status checks, WhatsApp notices); one wording everywhere.
LABELS: Dict[str, str] = {
    RECEIVED: "Diterima, menunggu verifikasi",
    VERIFIED: "Sudah diverifikasi petugas",
    IN_PROGRESS: "Sedang ditangani",
    DONE: "Selesai",
    REJECTED: "Tidak dapat ditindaklanjuti",
    DUPLICATE: "Digabung dengan laporan lain yang sama",
}


def label(status: str) -> str:
    return LABELS.get(status, status)


class TransitionError(ValueError):
    pass


def check_transition(current: str, new: str, note: str | None) -> None:
    if new not in OPEN311_STATUS:
        raise TransitionError(f"unknown status {new!r}; expected one of {sorted(OPEN311_STATUS)}")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise TransitionError(f"cannot move from {current!r} to {new!r} (allowed: {allowed})")
    if new in NOTE_REQUIRED and not (note or "").strip():
        raise TransitionError(f"a note is required when the status becomes {new!r}")

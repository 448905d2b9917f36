"""A simulated day on the 112 line, hard cases included, through the real webhooks.

Each caller follows a script and carries the truth about them: a real caller
(speaking, pressing a key, silent but pressing 55, a bad line, a known
prankster in real trouble), a ghost (a pocket, background noise, a stray
key, a lone "5", a hang-up in the greeting) or a prankster. Every real and
silent-55 caller must reach the operators' queue; no ghost may. The figures
per class are printed and written to reports/voice-mix.txt.

The scripts come from a seeded generator: the same mix every run.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, List, Tuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.emergency.agencies import load
from backend.tables import voice_calls
from backend.voice import operators
from lapor.db import create_engine
from lapor.paths import REPO_ROOT
from tests.backend.console.helpers import make_person
from tests.backend.voice.conftest import VoiceBackend
from tests.voice_line import HANG_UP, SILENCE, Act, Caller, Outcome, Post, http_post, presses, says

EMERGENCIES = [
    "tolong ada kebakaran di pasar bandar",
    "kecelakaan motor di jalan hayam wuruk",
    "bapak saya pingsan tidak sadar",
    "banjir masuk rumah di kelurahan ngronggo",
    "ada maling masuk rumah",
    "tolong anak saya kejang",
]
RETURNING_PRANKSTER = "iseng berulang, kini darurat"
PRANK_LIMIT = 3  # VOICE_PRANK_LIMIT's default, which the test backend runs with
PRANKS = ["halo halo mbak", "pesan pizza satu", "hahaha iseng aja", "tes tes"]


@dataclass(frozen=True)
class Scripted:
    kind: str  # how the truth is named in the figures
    truth: str  # valid, ghost, prank
    script: List[Act]
    number: str


def _noise(rng: random.Random) -> Act:
    return says(rng.choice(["eh", "hmm", "a", "he em", "ya", "o"]), rng.uniform(0.03, 0.45))


def _clear(rng: random.Random) -> Act:
    return says(rng.choice(EMERGENCIES), rng.uniform(0.55, 0.97))


def _number(rng: random.Random) -> str:
    return "+62812" + "".join(rng.choice("0123456789") for _ in range(7))


def mix(seed: int = 112, each: int = 12) -> List[Scripted]:
    rng = random.Random(seed)
    cases = {
        # -- real callers: every one must reach an operator --
        "bicara jelas": ("valid", lambda: [_clear(rng)]),
        "menekan tombol": ("valid", lambda: [presses(rng.choice("123456789*#"))]),
        "diam lalu 55": ("valid", lambda: [SILENCE, presses("55")]),
        "diam, 5 sekali, lalu 55": ("valid", lambda: [SILENCE, presses("5"), presses("55")]),
        "diam lalu bicara": ("valid", lambda: [SILENCE, _clear(rng)]),
        "saluran buruk lalu bicara": ("valid", lambda: [_noise(rng), _clear(rng)]),
        "saluran buruk lalu 55": ("valid", lambda: [_noise(rng), presses("55")]),
        # -- ghost calls: none may reach an operator --
        "diam terus": ("ghost", lambda: [SILENCE, SILENCE, SILENCE]),
        "suara latar": ("ghost", lambda: [_noise(rng), _noise(rng), _noise(rng)]),
        "suara latar lalu diam": ("ghost", lambda: [_noise(rng), SILENCE, SILENCE]),
        "tombol nyasar di prompt": (
            "ghost",
            lambda: [SILENCE, presses(rng.choice("1234678*#0")), SILENCE],
        ),
        "5 sekali saja": ("ghost", lambda: [SILENCE, presses("5"), SILENCE]),
        "menutup saat salam": ("ghost", lambda: [HANG_UP]),
        "menutup saat prompt": ("ghost", lambda: [SILENCE, HANG_UP]),
        # -- pranksters talk: they reach an operator, who sorts them --
        "iseng": ("prank", lambda: [says(rng.choice(PRANKS), rng.uniform(0.6, 0.95))]),
    }
    calls = [
        Scripted(kind, truth, make(), _number(rng))
        for kind, (truth, make) in cases.items()
        for _ in range(each)
    ]
    rng.shuffle(calls)
    return calls


async def test_every_real_caller_reaches_an_operator_and_no_ghost_call_does(
    voice_backend: VoiceBackend,
) -> None:
    post = http_post(voice_backend.url)
    engine = create_engine(voice_backend.database_url)
    try:
        scripted, callers, outcomes = await _a_busy_night(post, engine, voice_backend)
        async with engine.connect() as conn:
            rows = {r.call_sid: r for r in (await conn.execute(select(voice_calls))).all()}
    finally:
        await engine.dispose()
        await post.close()  # type: ignore[attr-defined]
    figures: Dict[str, Counter] = defaultdict(Counter)
    missed, let_through = [], []
    for s, caller, outcome in zip(scripted, callers, outcomes, strict=True):
        row = rows[caller.sid]
        figures[s.kind].update(
            calls=1,
            queued=outcome.queued,
            ghost_recorded=row._mapping["class"] == "ghost",
            prank_queue=row.queue == "prank",
        )
        if s.truth == "valid" and not outcome.queued:
            missed.append(s)
        if s.truth == "ghost" and outcome.queued:
            let_through.append(s)
    report = _table(scripted, figures)
    print("\n" + report)
    (REPO_ROOT / "reports").mkdir(exist_ok=True)
    (REPO_ROOT / "reports" / "voice-mix.txt").write_text(report + "\n", encoding="utf-8")
    assert missed == [], f"real callers who never reached an operator: {missed}"
    assert let_through == [], f"ghost calls that reached an operator: {let_through}"
    ghosts = [s for s in scripted if s.truth == "ghost"]
    assert sum(figures[k]["ghost_recorded"] for k in {s.kind for s in ghosts}) == len(ghosts)
    assert figures[RETURNING_PRANKSTER]["prank_queue"] == 1


async def _a_busy_night(
    post: Post, engine: AsyncEngine, backend: VoiceBackend
) -> Tuple[List[Scripted], List[Caller], List[Outcome]]:
    # A known prankster (pranks sorted by an operator), who now calls in real trouble.
    ani = await make_person(backend.database_url, "ani", ["operator"])
    prankster = "+6281399990000"
    for _ in range(PRANK_LIMIT):
        caller = Caller(prankster, [says("hahaha")])
        await caller.ring(post)
        call_id = await _call_id(engine, caller.sid)
        await operators.sort(engine, call_id, ani, operators.Sorting("prank"), load())
    returning = Scripted(RETURNING_PRANKSTER, "valid", [says(EMERGENCIES[0])], prankster)
    scripted = [*mix(), returning]
    callers = [Caller(s.number, s.script) for s in scripted]
    # Calls arrive together, as on a busy night (20 at a time).
    gate = asyncio.Semaphore(20)

    async def ring(caller: Caller) -> Outcome:
        async with gate:
            return await caller.ring(post)

    outcomes = await asyncio.gather(*(ring(c) for c in callers))
    return scripted, callers, list(outcomes)


async def _call_id(engine: AsyncEngine, sid: str) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(select(voice_calls.c.id).where(voice_calls.c.call_sid == sid))
            ).scalar()
        )


def _table(scripted: List[Scripted], figures: Dict[str, Counter]) -> str:
    truth = {s.kind: s.truth for s in scripted}
    header = f"{'kasus':34} {'kebenaran':9} {'panggilan':>9} {'ke operator':>11}"
    lines = [f"{header} {'tercatat kosong':>15}"]
    for kind in sorted(figures, key=lambda k: (truth[k], k)):
        f = figures[kind]
        lines.append(
            f"{kind:34} {truth[kind]:9} {f['calls']:>9} {f['queued']:>11} {f['ghost_recorded']:>15}"
        )
    for name in ("valid", "ghost", "prank"):
        kinds = [k for k in figures if truth[k] == name]
        calls = sum(figures[k]["calls"] for k in kinds)
        queued = sum(figures[k]["queued"] for k in kinds)
        lines.append(f"{'JUMLAH ' + name:34} {'':9} {calls:>9} {queued:>11}")
    return "\n".join(lines)

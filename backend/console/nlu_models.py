"""The content editors' "Model bot" page: train a model of the current training
data, compare a trained model with the deployed one, deploy it through the gate
or roll back to the model served before.

The work is done by backend/editor/trainings.py (the queue the trainer worker
takes from) and deployments.py (the gate, lapor/nlu/gate.py, decides there:
this page shows the same verdict before the editor presses the button). A
running training's progress arrives live (topic `training`, nlu_models.js).
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend import live, people
from backend.console import views
from backend.console.access import page
from backend.context import context
from backend.editor import deployments, trainings
from lapor.nlu import gate

bp = Blueprint("console_nlu_models", url_prefix="/console/nlu/models")

EDITORS = frozenset({"editor"})
HOME = "/console/nlu/models"
TRAININGS_SHOWN = 20
LOG_SHOWN = 4000  # the newest characters of a training's log on the page
CHANGED_SHOWN = 200
STATES = {"queued": "menunggu", "running": "berjalan", "done": "selesai", "failed": "gagal"}
ACTIONS = {"deploy": "dipasang", "rollback": "dikembalikan", "refused": "ditolak"}
METRICS = (
    ("intent_accuracy", "Akurasi intent"),
    ("emergency_recall", "Recall darurat"),
    ("emergency_precision", "Presisi darurat"),
)
NOT_FOUND = "Model ini tidak ditemukan."
NO_DATA = "Data latih tidak dapat dibaca saat ini. Mohon coba lagi sebentar lagi."


@dataclass(frozen=True)
class DataCommit:
    """The data a new training would learn from."""

    head: str
    message: str
    author: str

    @property
    def short(self) -> str:
        return self.head[:8]


@dataclass(frozen=True)
class Compared:
    """One figure of the new model beside the deployed model's."""

    scope: str  # "Semua set" or a held-out set's name
    label: str
    new: Optional[float]
    old: Optional[float]

    @property
    def verdict(self) -> str:
        if self.new is None or self.old is None:
            return ""
        if self.new > self.old + 1e-9:
            return "better"
        return "worse" if self.new < self.old - 1e-9 else "same"


def pct(value: Optional[float]) -> str:
    """A share as Indonesians write it: 97,5%."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}%".replace(".", ",")


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"


def signed_pct(value: Optional[float]) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + pct(value)


# -- routes --------------------------------------------------------------------


@page(bp, "", EDITORS)
async def models_page(request: Request, person: people.Person) -> HTTPResponse:
    return await _overview(request, notice=_notice(request.args))


@page(bp, "/trainings", EDITORS, methods=("POST",), name="nlu_training_request")
async def request_training(request: Request, person: people.Person) -> HTTPResponse:
    ctx = context(request)
    try:
        commit = await asyncio.to_thread(ctx.data_repo.head)
    except (OSError, subprocess.CalledProcessError):
        return await _overview(request, 503, problem=NO_DATA)
    try:
        training_id = await trainings.request(ctx.engine, commit, person.username)
    except trainings.TrainingError as exc:
        return await _overview(request, 409, problem=str(exc))
    return redirect(f"{HOME}?dilatih={training_id}", status=303)


@page(bp, "/rollback", EDITORS, methods=("POST",), name="nlu_model_rollback")
async def rollback(request: Request, person: people.Person) -> HTTPResponse:
    try:
        model_id = await deployments.rollback(context(request).engine, person.username)
    except deployments.DeployError as exc:
        return await _overview(request, 409, problem=str(exc))
    return redirect(f"{HOME}?dikembalikan={model_id}", status=303)


@page(bp, "/<model_id:int>", EDITORS, name="nlu_model")
async def model_page(request: Request, person: people.Person, model_id: int) -> HTTPResponse:
    return await _model(request, model_id)


@page(bp, "/<model_id:int>/deploy", EDITORS, methods=("POST",), name="nlu_model_deploy")
async def deploy(request: Request, person: people.Person, model_id: int) -> HTTPResponse:
    ctx = context(request)
    if await deployments.get(ctx.engine, model_id) is None:
        return views.error(request, 404, NOT_FOUND)
    try:
        outcome = await deployments.deploy(ctx.engine, model_id, person.username, _floors(request))
    except deployments.DeployError as exc:  # already deployed (by someone else meanwhile)
        return await _model(request, model_id, 409, refused=[str(exc)])
    if not outcome.deployed:
        return await _model(request, model_id, 422, refused=outcome.reasons)
    return redirect(f"{HOME}?dipasang={model_id}", status=303)


# -- the pages -----------------------------------------------------------------


async def _overview(
    request: Request,
    status: int = 200,
    notice: Optional[str] = None,
    problem: Optional[str] = None,
) -> HTTPResponse:
    ctx = context(request)
    # Taken before the reads: an event after it is not yet in what the page shows.
    live_after = await live.latest_id(ctx.engine)
    current = await deployments.current(ctx.engine)
    return views.show(
        request,
        "console/nlu_models.html",
        status,
        title="Model bot",
        current=current,
        current_sets=_sets(current.figures) if current else [],
        data=await _data_commit(request),
        trainings=await trainings.recent(ctx.engine, TRAININGS_SHOWN),
        history=await deployments.history(ctx.engine),
        states=STATES,
        actions=ACTIONS,
        log_shown=LOG_SHOWN,
        live_after=live_after,
        notice=notice,
        problem=problem,
        pct=pct,
    )


async def _model(
    request: Request, model_id: int, status: int = 200, refused: Optional[List[str]] = None
) -> HTTPResponse:
    ctx = context(request)
    model = await deployments.get(ctx.engine, model_id)
    if model is None:
        return views.error(request, 404, NOT_FOUND)
    current = await deployments.current(ctx.engine)
    is_current = current is not None and current.id == model.id
    # The deployed model is what the new one would replace; compared with itself, nothing.
    old = current.figures if current is not None and not is_current else None
    floors = _floors(request)
    changed = gate.changed_messages(model.figures, old)
    return views.show(
        request,
        "console/nlu_model.html",
        status,
        title=f"Model #{model.id}",
        model=model,
        current=current,
        is_current=is_current,
        compared=_compared(model.figures, old),
        floors=floors,
        reasons=gate.refusals(model.figures, old, floors),
        refused=refused,
        intents=gate.intent_rows(model.figures, old),
        changed=changed[:CHANGED_SHOWN],
        changed_total=len(changed),
        overall=model.figures["overall"],
        size=_size(model.size),
        pct=pct,
        signed_pct=signed_pct,
    )


# -- helpers -------------------------------------------------------------------


def _floors(request: Request) -> gate.Floors:
    settings = context(request).settings
    return gate.Floors(settings.gate_emergency_recall, settings.gate_accuracy_margin)


def _notice(args: Mapping[str, Any]) -> Optional[str]:
    """The notice after a redirect; the number is the only thing taken from the URL."""
    texts = {
        "dilatih": "Pelatihan #{} dimasukkan antrean. "
        "Model baru siap dibandingkan setelah selesai.",
        "dipasang": "Model #{} dipasang. Semua server bot memuatnya dalam beberapa detik; "
        "percakapan yang berjalan tidak terputus.",
        "dikembalikan": "Model #{} dikembalikan.",
    }
    for key, text in texts.items():
        raw = args.get(key) or ""
        if raw.isdigit() and len(raw) <= 12:
            return text.format(int(raw))
    return None


async def _data_commit(request: Request) -> Optional[DataCommit]:
    """The current data commit and the newest change to the training data (git runs
    in a thread: it must not hold up the event loop)."""
    repo = context(request).data_repo
    try:
        head = await asyncio.to_thread(repo.head)
        newest = await asyncio.to_thread(repo.history, 1)
    except (OSError, subprocess.CalledProcessError):
        return None
    last = newest[0] if newest else {}
    return DataCommit(head, last.get("message", ""), last.get("author", ""))


def _sets(figures: Mapping[str, Any]) -> List[Tuple[str, Mapping[str, Any]]]:
    """(name, figures) for all held-out sets together, then each set."""
    sets = figures.get("sets") or {}
    return [("Semua set", figures["overall"]), *sorted(sets.items())]


def _compared(new: Mapping[str, Any], old: Optional[Mapping[str, Any]]) -> List[Compared]:
    before: Dict[str, Mapping[str, Any]] = dict(_sets(old)) if old else {}
    return [
        Compared(scope, label, figures.get(key), (before.get(scope) or {}).get(key))
        for scope, figures in _sets(new)
        for key, label in METRICS
    ]

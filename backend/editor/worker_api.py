"""The editor tool's machine side, at /editor/v1 (bearer EDITOR_TOKEN):

- the trainer worker's calls (`python -m bot nlu train`, bot/nlu/worker.py):
  claim a training, report progress, send the figures, then the model, or fail;
- the model server every Rasa replica pulls from (endpoints `models:`): the
  deployed model with its SHA-256 as ETag; a replica that already has it gets
  304, so polling costs one indexed query.

Bodies and errors have the shape of backend/json_api.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Awaitable, Dict

from pydantic import BaseModel, confloat, constr
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty, json, raw

from backend import json_api
from backend.context import AppContext, context
from backend.editor import deployments, trainings
from backend.errors import Open311Error

bp = Blueprint("editor_api", url_prefix="/editor/v1")

MAX_MODEL_BYTES = 512 * 1024 * 1024
Worker = constr(strip_whitespace=True, min_length=1, max_length=128)


class ClaimIn(BaseModel):
    worker: Worker  # type: ignore[valid-type]


class ProgressIn(BaseModel):
    worker: Worker  # type: ignore[valid-type]
    stage: constr(max_length=128)  # type: ignore[valid-type]
    progress: confloat(ge=0, le=1)  # type: ignore[valid-type]
    log: constr(max_length=200_000) = ""  # type: ignore[valid-type]


class FiguresIn(BaseModel):
    worker: Worker  # type: ignore[valid-type]
    figures: Dict[str, Any]


class FailedIn(BaseModel):
    worker: Worker  # type: ignore[valid-type]
    error: constr(max_length=20_000)  # type: ignore[valid-type]


def _authorised(request: Request) -> AppContext:
    return json_api.authorised(request, context(request).settings.editor_token)


def _lease(ctx: AppContext) -> timedelta:
    return timedelta(seconds=ctx.settings.training_lease_seconds)


def _refused(exc: Exception) -> Open311Error:
    return Open311Error.one(409, str(exc))


@bp.post("/trainings/claim")
async def claim(request: Request) -> HTTPResponse:
    ctx = _authorised(request)
    body = json_api.parse(ClaimIn, request)
    training = await trainings.claim(ctx.engine, body.worker, _lease(ctx))
    if training is None:
        return empty(status=204)
    return json({"id": training.id, "commit": training.commit})


@bp.post("/trainings/<training_id:int>/progress")
async def progress(request: Request, training_id: int) -> HTTPResponse:
    ctx = _authorised(request)
    body = json_api.parse(ProgressIn, request)
    return await _done(
        trainings.report(
            ctx.engine, training_id, body.worker, body.stage, body.progress, body.log, _lease(ctx)
        )
    )


@bp.post("/trainings/<training_id:int>/figures")
async def figures(request: Request, training_id: int) -> HTTPResponse:
    ctx = _authorised(request)
    body = json_api.parse(FiguresIn, request)
    return await _done(trainings.attach_figures(ctx.engine, training_id, body.worker, body.figures))


@bp.post("/trainings/<training_id:int>/failed")
async def failed(request: Request, training_id: int) -> HTTPResponse:
    ctx = _authorised(request)
    body = json_api.parse(FailedIn, request)
    return await _done(trainings.fail(ctx.engine, training_id, body.worker, body.error))


async def _done(step: Awaitable[None]) -> HTTPResponse:
    """{"ok": true}, or 409 when the training is not this worker's to report on."""
    try:
        await step
    except trainings.TrainingError as exc:
        raise _refused(exc) from None
    return json({"ok": True})


@bp.put("/trainings/<training_id:int>/model", stream=True)
async def model(request: Request, training_id: int) -> HTTPResponse:
    """The model file as the body (streamed: models are larger than any other upload)."""
    ctx = _authorised(request)
    worker = (request.args.get("worker") or "").strip()
    filename = (request.args.get("filename") or "model.tar.gz").strip()
    if not worker:
        raise Open311Error.one(400, "the worker query parameter is required")
    data = bytearray()
    while True:
        chunk = await request.stream.read()  # type: ignore[union-attr]
        if chunk is None:
            break
        data += chunk
        if len(data) > MAX_MODEL_BYTES:
            raise Open311Error.one(413, f"a model may have at most {MAX_MODEL_BYTES} bytes")
    if not data.startswith(b"\x1f\x8b"):
        raise Open311Error.one(400, "the body must be the model's .tar.gz")
    try:
        model_id = await trainings.finish(ctx.engine, training_id, worker, bytes(data), filename)
    except trainings.TrainingError as exc:
        raise _refused(exc) from None
    return json({"model_id": model_id}, status=201)


@bp.get("/model")
async def deployed_model(request: Request) -> HTTPResponse:
    """Rasa's model server protocol (rasa/core/agent.py): If-None-Match carries the
    fingerprint the replica has; 304 when it is current, 204 before any deploy."""
    ctx = _authorised(request)
    current = await deployments.current(ctx.engine)
    if current is None:
        return empty(status=204)
    seen = (request.headers.get("if-none-match") or "").strip().strip('"')
    if seen == current.sha256:
        return empty(status=304, headers={"ETag": current.sha256})
    data = await deployments.model_bytes(ctx.engine, current.id)
    headers = {"ETag": current.sha256, "filename": current.filename}
    return raw(data, content_type="application/gzip", headers=headers)

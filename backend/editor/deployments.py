"""Which model every Rasa replica serves: deploy through the gate, roll back.

The deployed model is the one of the newest deployment that was not refused.
A deploy is refused (and the refusal recorded, with its reasons) when the gate
(lapor/nlu/gate.py) finds emergency recall below the floor or intent accuracy
fallen too far against the deployed model. A rollback returns to the model
deployed before the current one: it served citizens already, so it is not
gated again. The model server (backend/editor/worker_api.py) hands the
deployed model to Rasa replicas, which pull it by ETag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import desc, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import live, people
from backend.tables import nlu_deployments, nlu_models
from lapor.nlu import gate
from lapor.timeutil import aware, utcnow

TOPIC = "model"
_RECORD = "nlu_model"


class DeployError(Exception):
    """A deploy or rollback that cannot be done (message in Indonesian)."""


@dataclass(frozen=True)
class Model:
    id: int
    training_id: Optional[int]
    sha256: str
    filename: str
    size: int
    figures: Dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Deployment:
    id: int
    model_id: int
    action: str  # deploy, rollback, refused
    reasons: List[str]
    actor: str
    at: datetime


@dataclass(frozen=True)
class Outcome:
    deployed: bool
    reasons: List[str]


_MODEL_COLUMNS = [c for c in nlu_models.c if c.name != "data"]


async def deploy(engine: AsyncEngine, model_id: int, actor: str, floors: gate.Floors) -> Outcome:
    """Deploy the model if the gate allows; a refusal is recorded too."""
    async with engine.begin() as conn:
        await _lock(conn)
        model = await _model(conn, model_id)
        current = await _current(conn)
        if current is not None and current.model_id == model_id:
            raise DeployError(f"Model #{model_id} sudah terpasang.")
        deployed = await _model(conn, current.model_id) if current else None
        reasons = gate.refusals(model.figures, deployed.figures if deployed else None, floors)
        action = "refused" if reasons else "deploy"
        await _record(conn, model, action, reasons, actor)
    return Outcome(not reasons, reasons)


async def rollback(engine: AsyncEngine, actor: str) -> int:
    """Serve the model deployed before the current one again; returns its id."""
    async with engine.begin() as conn:
        await _lock(conn)
        served = await _served(conn)
        if not served:
            raise DeployError("Belum ada model yang terpasang.")
        current = served[0].model_id
        earlier = next((d.model_id for d in served if d.model_id != current), None)
        if earlier is None:
            raise DeployError("Tidak ada model sebelumnya untuk dikembalikan.")
        await _record(conn, await _model(conn, earlier), "rollback", [], actor)
    return earlier


async def current(engine: AsyncEngine) -> Optional[Model]:
    """The deployed model (without its bytes), or None before the first deploy."""
    async with engine.connect() as conn:
        deployment = await _current(conn)
        return await _model(conn, deployment.model_id) if deployment else None


async def model_bytes(engine: AsyncEngine, model_id: int) -> bytes:
    async with engine.connect() as conn:
        data = await conn.scalar(select(nlu_models.c.data).where(nlu_models.c.id == model_id))
    if data is None:
        raise DeployError(f"Model #{model_id} tidak ada.")
    return bytes(data)


async def get(engine: AsyncEngine, model_id: int) -> Optional[Model]:
    async with engine.connect() as conn:
        try:
            return await _model(conn, model_id)
        except DeployError:
            return None


async def history(engine: AsyncEngine, limit: int = 30) -> List[Deployment]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(nlu_deployments).order_by(desc(nlu_deployments.c.id)).limit(limit)
        )
        return [_deployment(row) for row in rows]


async def _current(conn: AsyncConnection) -> Optional[Deployment]:
    served = await _served(conn, limit=1)
    return served[0] if served else None


async def _served(conn: AsyncConnection, limit: int = 50) -> List[Deployment]:
    rows = await conn.execute(
        select(nlu_deployments)
        .where(nlu_deployments.c.action != "refused")
        .order_by(desc(nlu_deployments.c.id))
        .limit(limit)
    )
    return [_deployment(row) for row in rows]


async def _model(conn: AsyncConnection, model_id: int) -> Model:
    row = (await conn.execute(select(*_MODEL_COLUMNS).where(nlu_models.c.id == model_id))).first()
    if row is None:
        raise DeployError(f"Model #{model_id} tidak ada.")
    return Model(
        row.id,
        row.training_id,
        row.sha256,
        row.filename,
        int(row.size),
        dict(row.figures),
        aware(row.created_at),
    )


async def _record(
    conn: AsyncConnection, model: Model, action: str, reasons: List[str], actor: str
) -> None:
    await conn.execute(
        insert(nlu_deployments).values(
            model_id=model.id, action=action, reasons=reasons, actor=actor, at=utcnow()
        )
    )
    overall = model.figures.get("overall", {})
    detail = {
        "sha256": model.sha256,
        "reasons": reasons,
        "intent_accuracy": overall.get("intent_accuracy"),
        "emergency_recall": overall.get("emergency_recall"),
    }
    await people.audit(conn, actor, f"nlu.model.{action}", _RECORD, str(model.id), detail)
    data = {"model_id": model.id, "action": action}
    await live.publish(conn, TOPIC, data, ("editor",))


async def _lock(conn: AsyncConnection) -> None:
    """Deploys and rollbacks one after another across replicas (PostgreSQL; SQLite
    has one writer anyway), so two editors never both 'replace' the same model."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(1160016)"))


def _deployment(row: Any) -> Deployment:
    return Deployment(
        row.id, row.model_id, row.action, list(row.reasons or []), row.actor, aware(row.at)
    )

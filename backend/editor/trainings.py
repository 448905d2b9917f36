"""Model trainings: an editor asks, the trainer worker (`python -m bot nlu train`)
claims, reports progress and hands back the model with its figures.

At most one training runs at a time across every replica and worker (a partial
unique index on the running state: a second claim fails in the database). A
worker that stops reporting loses its lease and the training is taken again.
Each step publishes a live event (topic `training`) for the editors' page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import desc, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend import live, people
from backend.tables import nlu_models, nlu_trainings
from lapor.timeutil import aware, utcnow

TOPIC = "training"
EDITORS = ("editor",)
_RECORD = "nlu_training"
LOG_CHARS = 20_000  # the newest part of the worker's log kept for the page


class TrainingError(Exception):
    """A training request or report that cannot be taken (message in Indonesian)."""


@dataclass(frozen=True)
class Training:
    id: int
    commit: str
    requested_by: str
    requested_at: datetime
    state: str
    stage: Optional[str]
    progress: float
    log: str
    error: Optional[str]
    worker: Optional[str]
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    model_id: Optional[int] = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")


async def request(engine: AsyncEngine, commit: str, actor: str) -> int:
    """Queue a training of the commit; refused while one of the same commit waits or runs."""
    async with engine.begin() as conn:
        waiting = await conn.scalar(
            select(nlu_trainings.c.id).where(
                nlu_trainings.c.commit == commit,
                nlu_trainings.c.state.in_(("queued", "running")),
            )
        )
        if waiting is not None:
            raise TrainingError(
                f"Data ini sedang menunggu atau sedang dilatih (pelatihan #{waiting})."
            )
        result = await conn.execute(
            insert(nlu_trainings).values(
                commit=commit, requested_by=actor, requested_at=utcnow(), state="queued", log=""
            )
        )
        training_id = int(result.inserted_primary_key[0])
        detail = {"commit": commit}
        await people.audit(conn, actor, "nlu.training.request", _RECORD, str(training_id), detail)
        await _announce(conn, training_id, "queued", None, 0.0)
    return training_id


async def claim(engine: AsyncEngine, worker: str, lease: timedelta) -> Optional[Training]:
    """The next training for this worker, or None (none waiting, or one is running)."""
    now = utcnow()
    try:
        async with engine.begin() as conn:
            running = (
                await conn.execute(select(nlu_trainings).where(nlu_trainings.c.state == "running"))
            ).first()
            if running is not None and aware(running.lease_until) > now:
                return None
            target = (
                running
                or (
                    await conn.execute(
                        select(nlu_trainings)
                        .where(nlu_trainings.c.state == "queued")
                        .order_by(nlu_trainings.c.id)
                        .limit(1)
                    )
                ).first()
            )
            if target is None:
                return None
            await conn.execute(
                update(nlu_trainings)
                .where(nlu_trainings.c.id == target.id)
                .values(
                    state="running",
                    worker=worker,
                    started_at=now,
                    lease_until=now + lease,
                    stage="Mulai",
                    progress=0.0,
                    error=None,
                )
            )
            await _announce(conn, target.id, "running", "Mulai", 0.0)
    except IntegrityError:
        return None  # another claim took the running slot first
    return await get(engine, target.id)


async def report(
    engine: AsyncEngine,
    training_id: int,
    worker: str,
    stage: str,
    progress: float,
    log: str,
    lease: timedelta,
) -> None:
    """Progress from the worker holding the training; renews its lease."""
    async with engine.begin() as conn:
        row = await _held(conn, training_id, worker)
        kept = (row.log + log)[-LOG_CHARS:]
        await conn.execute(
            update(nlu_trainings)
            .where(nlu_trainings.c.id == training_id)
            .values(
                stage=stage[:128],
                progress=max(0.0, min(1.0, progress)),
                log=kept,
                lease_until=utcnow() + lease,
            )
        )
        await _announce(conn, training_id, "running", stage, progress)


async def attach_figures(
    engine: AsyncEngine, training_id: int, worker: str, figures: Dict[str, Any]
) -> None:
    """The new model's figures on the held-out sets, sent before the model."""
    for key in ("overall", "sets", "messages"):
        if key not in figures:
            raise TrainingError(f"Angka evaluasi tidak lengkap: tidak ada '{key}'.")
    async with engine.begin() as conn:
        await _held(conn, training_id, worker)
        await conn.execute(
            update(nlu_trainings)
            .where(nlu_trainings.c.id == training_id)
            .values(figures=figures, lease_until=utcnow() + timedelta(minutes=10))
        )


async def finish(
    engine: AsyncEngine, training_id: int, worker: str, model: bytes, filename: str
) -> int:
    """Store the trained model with the figures sent before; returns the model's id."""
    digest = hashlib.sha256(model).hexdigest()
    now = utcnow()
    async with engine.begin() as conn:
        row = await _held(conn, training_id, worker)
        figures = row.figures
        if not figures:
            raise TrainingError("Angka evaluasi model belum dikirim.")
        existing = await conn.scalar(select(nlu_models.c.id).where(nlu_models.c.sha256 == digest))
        if existing is not None:
            model_id = int(existing)  # the same bytes again (an unchanged commit, all cached)
        else:
            result = await conn.execute(
                insert(nlu_models).values(
                    training_id=training_id,
                    sha256=digest,
                    filename=filename[:128],
                    size=len(model),
                    data=model,
                    figures=figures,
                    created_at=now,
                )
            )
            model_id = int(result.inserted_primary_key[0])
        await conn.execute(
            update(nlu_trainings)
            .where(nlu_trainings.c.id == training_id)
            .values(state="done", finished_at=now, progress=1.0, stage="Selesai", lease_until=None)
        )
        overall = figures.get("overall", {})
        detail = {
            "model_id": model_id,
            "sha256": digest,
            "intent_accuracy": overall.get("intent_accuracy"),
            "emergency_recall": overall.get("emergency_recall"),
        }
        await people.audit(conn, worker, "nlu.training.done", _RECORD, str(training_id), detail)
        await _announce(conn, training_id, "done", "Selesai", 1.0)
    return model_id


async def fail(engine: AsyncEngine, training_id: int, worker: str, error: str) -> None:
    async with engine.begin() as conn:
        await _held(conn, training_id, worker)
        await conn.execute(
            update(nlu_trainings)
            .where(nlu_trainings.c.id == training_id)
            .values(state="failed", finished_at=utcnow(), error=error[-4000:], lease_until=None)
        )
        detail = {"error": error[-500:]}
        await people.audit(conn, worker, "nlu.training.failed", _RECORD, str(training_id), detail)
        await _announce(conn, training_id, "failed", "Gagal", 0.0)


async def get(engine: AsyncEngine, training_id: int) -> Optional[Training]:
    async with engine.connect() as conn:
        row = (await conn.execute(_with_model().where(nlu_trainings.c.id == training_id))).first()
    return _training(row) if row else None


async def recent(engine: AsyncEngine, limit: int = 20) -> List[Training]:
    async with engine.connect() as conn:
        rows = await conn.execute(_with_model().order_by(desc(nlu_trainings.c.id)).limit(limit))
        return [_training(row) for row in rows]


def _with_model() -> Any:
    joined = nlu_trainings.outerjoin(nlu_models, nlu_models.c.training_id == nlu_trainings.c.id)
    return select(nlu_trainings, nlu_models.c.id.label("model_id")).select_from(joined)


async def _held(conn: AsyncConnection, training_id: int, worker: str) -> Any:
    row = (
        await conn.execute(
            select(nlu_trainings)
            .where(nlu_trainings.c.id == training_id)
            .where(nlu_trainings.c.state == "running")
        )
    ).first()
    if row is None or row.worker != worker:
        raise TrainingError(f"Pelatihan #{training_id} tidak sedang dikerjakan oleh {worker}.")
    return row


async def _announce(
    conn: AsyncConnection, training_id: int, state: str, stage: Optional[str], progress: float
) -> None:
    data = {"id": training_id, "state": state, "stage": stage, "progress": round(progress, 3)}
    await live.publish(conn, TOPIC, data, EDITORS)


def _training(row: Any) -> Training:
    return Training(
        id=row.id,
        commit=row.commit,
        requested_by=row.requested_by,
        requested_at=aware(row.requested_at),
        state=row.state,
        stage=row.stage,
        progress=float(row.progress or 0.0),
        log=row.log or "",
        error=row.error,
        worker=row.worker,
        started_at=aware(row.started_at) if row.started_at else None,
        finished_at=aware(row.finished_at) if row.finished_at else None,
        model_id=row.model_id,
    )

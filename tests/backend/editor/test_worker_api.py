"""The trainer worker's side of the backend and the model server
(backend/editor/worker_api.py, trainings.py, deployments.py): one training at a
time, the figures before the model, the gate on deploy, ETag pulls, rollback."""

from __future__ import annotations

import gzip
import hashlib
from datetime import timedelta
from typing import Any, Dict, Optional

import pytest
from sanic import Sanic
from sqlalchemy import select

from backend.editor import deployments, trainings
from backend.tables import audit_log
from lapor.db import create_engine
from lapor.nlu import gate
from lapor.nlu.scoring import Figures, model_figures

TOKEN = {"Authorization": "Bearer dev-editor-token"}
WORKER = "mesin-latih:1"
COMMIT = "a" * 40


def figures(emergencies_found: int, complaints_right: int = 50) -> Figures:
    rows = [
        (f"kebakaran {i}", "emergency_fire", "emergency_fire" if i < emergencies_found else "greet")
        for i in range(50)
    ] + [
        (
            f"lampu {i}",
            "report_street_light",
            "report_street_light" if i < complaints_right else "report_road",
        )
        for i in range(50)
    ]
    parsed = [(t, g, {"intent": {"name": p, "confidence": 0.9}}) for t, g, p in rows]
    return model_figures({"heldout": parsed})


def model_file(label: str) -> bytes:
    return gzip.compress(f"model {label}".encode(), mtime=0)


async def post(app: Sanic, path: str, body: Dict[str, Any]) -> Any:
    _, response = await app.asgi_client.post(f"/editor/v1{path}", json=body, headers=TOKEN)
    return response


async def trained(app: Sanic, database_url: str, label: str, found: int = 50) -> int:
    """A training asked for, claimed, reported and finished: the new model's id."""
    engine = create_engine(database_url)
    try:
        training_id = await trainings.request(engine, label.ljust(40, "0"), "editor1")
    finally:
        await engine.dispose()
    claimed = await post(app, "/trainings/claim", {"worker": WORKER})
    assert claimed.status == 200 and claimed.json["id"] == training_id
    progress = {"worker": WORKER, "stage": "Melatih", "progress": 0.5, "log": "epoch 30/60\n"}
    assert (await post(app, f"/trainings/{training_id}/progress", progress)).status == 200
    sent = {"worker": WORKER, "figures": figures(found)}
    assert (await post(app, f"/trainings/{training_id}/figures", sent)).status == 200
    _, response = await app.asgi_client.put(
        f"/editor/v1/trainings/{training_id}/model",
        params={"worker": WORKER, "filename": f"lapor-{label}.tar.gz"},
        content=model_file(label),
        headers=TOKEN,
    )
    assert response.status == 201, response.text
    return int(response.json["model_id"])


async def pull(app: Sanic, fingerprint: Optional[str] = None) -> Any:
    headers = {**TOKEN, **({"If-None-Match": fingerprint} if fingerprint else {})}
    _, response = await app.asgi_client.get("/editor/v1/model", headers=headers)
    return response


async def test_every_call_needs_the_editor_token(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/editor/v1/model")
    assert response.status == 401
    _, response = await app.asgi_client.get(
        "/editor/v1/model", headers={"Authorization": "Bearer salah"}
    )
    assert response.status == 403
    _, response = await app.asgi_client.post("/editor/v1/trainings/claim", json={"worker": "x"})
    assert response.status == 401


async def test_nothing_to_claim_and_nothing_deployed_answer_204(app: Sanic) -> None:
    assert (await post(app, "/trainings/claim", {"worker": WORKER})).status == 204
    assert (await pull(app)).status == 204


async def test_only_one_training_runs_at_a_time(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        first = await trainings.request(engine, "1" * 40, "editor1")
        await trainings.request(engine, "2" * 40, "editor1")
        lease = timedelta(minutes=2)
        taken = await trainings.claim(engine, "w1", lease)
        assert taken is not None and taken.id == first
        assert await trainings.claim(engine, "w2", lease) is None  # the first still runs
        with pytest.raises(trainings.TrainingError, match="tidak sedang dikerjakan oleh w2"):
            await trainings.report(engine, first, "w2", "x", 0.1, "", lease)
    finally:
        await engine.dispose()


async def test_a_training_whose_worker_went_quiet_is_taken_again(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        first = await trainings.request(engine, "1" * 40, "editor1")
        await trainings.claim(engine, "w1", timedelta(seconds=-1))  # lease already over
        again = await trainings.claim(engine, "w2", timedelta(minutes=2))
        assert again is not None and again.id == first and again.worker == "w2"
    finally:
        await engine.dispose()


async def test_the_same_commit_is_not_queued_twice(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await trainings.request(engine, "1" * 40, "editor1")
        with pytest.raises(trainings.TrainingError, match="sedang menunggu atau sedang dilatih"):
            await trainings.request(engine, "1" * 40, "editor2")
    finally:
        await engine.dispose()


async def sent_without_figures(app: Sanic, database_url: str, content: bytes) -> Any:
    engine = create_engine(database_url)
    try:
        training_id = await trainings.request(engine, COMMIT, "editor1")
    finally:
        await engine.dispose()
    await post(app, "/trainings/claim", {"worker": WORKER})
    _, response = await app.asgi_client.put(
        f"/editor/v1/trainings/{training_id}/model",
        params={"worker": WORKER},
        content=content,
        headers=TOKEN,
    )
    return response


async def test_a_model_without_figures_is_refused(app: Sanic, database_url: str) -> None:
    response = await sent_without_figures(app, database_url, model_file("x"))
    assert response.status == 409
    assert "Angka evaluasi model belum dikirim" in response.text


async def test_a_body_that_is_not_a_model_is_refused(app: Sanic, database_url: str) -> None:
    response = await sent_without_figures(app, database_url, b"not a tarball")
    assert response.status == 400


async def test_deploy_serves_the_model_by_etag_and_rollback_returns_the_old_one(
    app: Sanic, database_url: str
) -> None:
    first = await trained(app, database_url, "one")
    second = await trained(app, database_url, "two")
    engine = create_engine(database_url)
    try:
        assert (await deployments.deploy(engine, first, "editor1", gate.Floors())).deployed
        response = await pull(app)
        assert response.status == 200
        assert response.body == model_file("one")
        etag = response.headers["etag"]
        assert etag == hashlib.sha256(model_file("one")).hexdigest()
        assert response.headers["filename"] == "lapor-one.tar.gz"
        assert (await pull(app, etag)).status == 304  # a replica that has it: nothing sent

        assert (await deployments.deploy(engine, second, "editor1", gate.Floors())).deployed
        assert (await pull(app, etag)).body == model_file("two")

        assert await deployments.rollback(engine, "editor2") == first
        assert (await pull(app)).body == model_file("one")
        async with engine.connect() as conn:
            actions = (await conn.execute(select(audit_log.c.action, audit_log.c.actor))).all()
    finally:
        await engine.dispose()
    assert ("nlu.model.rollback", "editor2") in actions
    assert ("nlu.training.done", WORKER) in actions


async def test_a_refused_deploy_is_recorded_and_changes_nothing(
    app: Sanic, database_url: str
) -> None:
    good = await trained(app, database_url, "good")
    blind = await trained(app, database_url, "blind", found=40)  # misses 10 of 50 emergencies
    engine = create_engine(database_url)
    try:
        await deployments.deploy(engine, good, "editor1", gate.Floors())
        outcome = await deployments.deploy(engine, blind, "editor1", gate.Floors())
        assert not outcome.deployed
        assert "Recall darurat 80,0% di bawah batas 98,0%" in outcome.reasons[0]
        current = await deployments.current(engine)
        history = await deployments.history(engine)
    finally:
        await engine.dispose()
    assert current is not None and current.id == good
    assert [h.action for h in history] == ["refused", "deploy"]
    assert (await pull(app)).body == model_file("good")

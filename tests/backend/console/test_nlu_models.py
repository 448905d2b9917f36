"""The content editors' "Model bot" page (backend/console/nlu_models.py): ask for
a training of the current data, compare a trained model with the deployed one,
deploy through the gate, roll back; editors only."""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

from sanic import Sanic
from sqlalchemy import select

from backend.console.nlu_models import pct
from backend.editor import deployments
from backend.tables import audit_log
from lapor.db import create_engine
from lapor.nlu import gate
from tests.backend.console.helpers import Browser, signed_in
from tests.backend.console.test_tickets import get, post, query
from tests.backend.editor.test_worker_api import WORKER, trained
from tests.backend.editor.test_worker_api import post as worker_post

HOME = "/console/nlu/models"


async def editor(database_url: str, username: str = "editor-satu") -> Browser:
    return await signed_in(database_url, username, ["editor"])


async def deployed(database_url: str, model_id: int) -> None:
    """A model deployed directly (the page's own deploy is tested apart)."""
    engine = create_engine(database_url)
    try:
        assert (await deployments.deploy(engine, model_id, "editor1", gate.Floors())).deployed
    finally:
        await engine.dispose()


async def current_id(database_url: str) -> Optional[int]:
    engine = create_engine(database_url)
    try:
        model = await deployments.current(engine)
    finally:
        await engine.dispose()
    return model.id if model else None


async def audited(database_url: str, prefix: str) -> List[Tuple[str, str, str, Any]]:
    rows = await query(
        database_url,
        select(audit_log.c.actor, audit_log.c.action, audit_log.c.record_id, audit_log.c.detail)
        .where(audit_log.c.action.like(f"{prefix}%"))
        .order_by(audit_log.c.id),
    )
    return [(r.actor, r.action, r.record_id, r.detail) for r in rows]


def test_shares_are_written_with_a_comma() -> None:
    assert pct(0.975) == "97,5%"
    assert pct(1.0) == "100,0%"
    assert pct(None) == "–"


async def test_latih_model_queues_a_training_of_the_current_data_once(
    app: Sanic, database_url: str
) -> None:
    browser = await editor(database_url)
    page = await get(app, browser, HOME)
    assert page.status == 200
    assert "Latih model" in page.text and "Belum ada pelatihan." in page.text
    assert 'data-live-topics="training model"' in page.text

    asked = await post(app, browser, f"{HOME}/trainings", {})
    assert asked.status == 303
    training_id = int(asked.headers["location"].rsplit("=", 1)[1])
    assert asked.headers["location"] == f"{HOME}?dilatih={training_id}"
    page = await get(app, browser, asked.headers["location"])
    assert f"Pelatihan #{training_id} dimasukkan antrean." in page.text
    assert f'data-training="{training_id}" data-state="queued"' in page.text
    assert "menunggu" in page.text

    [(actor, action, record, detail)] = await audited(database_url, "nlu.training")
    assert (actor, action, record) == ("editor-satu", "nlu.training.request", str(training_id))
    commit = detail["commit"]
    assert re.fullmatch(r"[0-9a-f]{40}", commit) and commit[:8] in page.text

    again = await post(app, browser, f"{HOME}/trainings", {})
    assert again.status == 409
    assert f"sedang menunggu atau sedang dilatih (pelatihan #{training_id})" in again.text
    assert len(await audited(database_url, "nlu.training.request")) == 1


async def test_the_page_shows_the_deployed_model_the_trainings_and_the_history(
    app: Sanic, database_url: str
) -> None:
    good = await trained(app, database_url, "good")
    await deployed(database_url, good)
    page = await get(app, await editor(database_url), HOME)
    assert page.status == 200
    assert f"Model #{good}</a>" in page.text
    assert "100,0%" in page.text and "dari 50 pesan darurat" in page.text
    assert "selesai" in page.text and "epoch 30/60" in page.text  # the log tail
    assert f'href="/console/nlu/models/{good}"' in page.text
    assert "dipasang" in page.text and "Kembalikan model sebelumnya" in page.text
    assert "data-confirm=" in page.text


async def test_the_model_page_compares_a_new_model_with_the_deployed_one(
    app: Sanic, database_url: str
) -> None:
    good = await trained(app, database_url, "good")
    blind = await trained(app, database_url, "blind", found=40)  # misses 10 of 50 emergencies
    await deployed(database_url, good)
    page = await get(app, await editor(database_url), f"{HOME}/{blind}")
    assert page.status == 200
    assert f"Dibandingkan dengan model terpasang (#{good})" in page.text
    assert "80,0%" in page.text and "100,0%" in page.text  # emergency recall, new and old
    assert 'class="figure worse"' in page.text
    assert "Model ini akan ditolak" in page.text
    assert "Recall darurat 80,0% di bawah batas 98,0%" in page.text
    assert "kebakaran 45" in page.text and "menjadi salah" in page.text  # a changed message
    assert "emergency_fire" in page.text and "greet" in page.text
    assert "Pasang model ini" in page.text

    itself = await get(app, await editor(database_url, "editor-dua"), f"{HOME}/{good}")
    assert itself.status == 200
    assert "Model ini sedang terpasang." in itself.text
    assert "Pasang model ini" not in itself.text


async def test_deploying_a_good_model_redirects_and_serves_it(
    app: Sanic, database_url: str
) -> None:
    first = await trained(app, database_url, "one")
    second = await trained(app, database_url, "two")
    await deployed(database_url, first)
    browser = await editor(database_url)
    response = await post(app, browser, f"{HOME}/{second}/deploy", {})
    assert response.status == 303
    assert response.headers["location"] == f"{HOME}?dipasang={second}"
    assert await current_id(database_url) == second
    page = await get(app, browser, response.headers["location"])
    assert f"Model #{second} dipasang. Semua server bot memuatnya dalam beberapa detik" in page.text
    assert ("editor-satu", "nlu.model.deploy", str(second)) in [
        row[:3] for row in await audited(database_url, "nlu.model")
    ]


async def test_a_model_missing_emergencies_is_not_deployed(app: Sanic, database_url: str) -> None:
    good = await trained(app, database_url, "good")
    blind = await trained(app, database_url, "blind", found=40)
    await deployed(database_url, good)
    response = await post(app, await editor(database_url), f"{HOME}/{blind}/deploy", {})
    assert response.status == 422
    assert "Model tidak dipasang:" in response.text
    assert "Recall darurat 80,0% di bawah batas 98,0%" in response.text
    assert await current_id(database_url) == good
    refused = [
        row for row in await audited(database_url, "nlu.model") if row[1].endswith("refused")
    ]
    assert [(actor, record) for actor, _, record, _ in refused] == [("editor-satu", str(blind))]


async def test_rollback_returns_to_the_model_deployed_before(app: Sanic, database_url: str) -> None:
    browser = await editor(database_url)
    nothing = await post(app, browser, f"{HOME}/rollback", {})
    assert nothing.status == 409 and "Belum ada model yang terpasang." in nothing.text
    first = await trained(app, database_url, "one")
    second = await trained(app, database_url, "two")
    await deployed(database_url, first)
    await deployed(database_url, second)
    response = await post(app, browser, f"{HOME}/rollback", {})
    assert response.status == 303
    assert response.headers["location"] == f"{HOME}?dikembalikan={first}"
    assert await current_id(database_url) == first
    page = await get(app, browser, response.headers["location"])
    assert f"Model #{first} dikembalikan." in page.text and "dikembalikan</span>" in page.text


async def test_an_unknown_model_is_not_found(app: Sanic, database_url: str) -> None:
    browser = await editor(database_url)
    assert (await get(app, browser, f"{HOME}/999")).status == 404
    assert (await post(app, browser, f"{HOME}/999/deploy", {})).status == 404


async def test_only_editors_may_use_the_page(app: Sanic, database_url: str) -> None:
    staff = await signed_in(database_url, "staf-dishub", ["staff"], "dishub")
    assert (await get(app, staff, HOME)).status == 403
    assert (await get(app, staff, f"{HOME}/1")).status == 403
    for path in ("/trainings", "/rollback", "/1/deploy"):
        response = await post(app, staff, f"{HOME}{path}", {})
        assert response.status == 403, path
        assert "bukan untuk peran" in response.text
    assert await audited(database_url, "nlu.") == []


async def test_a_running_training_shows_its_progress_and_stage(
    app: Sanic, database_url: str
) -> None:
    browser = await editor(database_url)
    asked = await post(app, browser, f"{HOME}/trainings", {})
    training_id = int(asked.headers["location"].rsplit("=", 1)[1])
    claimed = await worker_post(app, "/trainings/claim", {"worker": WORKER})
    assert claimed.status == 200 and claimed.json["id"] == training_id
    report = {"worker": WORKER, "stage": "Melatih DIET", "progress": 0.42, "log": "epoch 7\n"}
    assert (await worker_post(app, f"/trainings/{training_id}/progress", report)).status == 200
    page = await get(app, browser, HOME)
    assert f'data-training="{training_id}" data-state="running"' in page.text
    assert 'value="0.42"' in page.text and "42,0%" in page.text
    assert "Melatih DIET" in page.text and "berjalan" in page.text
    assert "<details>" in page.text and "epoch 7" in page.text

"""The content editors' training data pages: browse, search, add, change and delete
examples. Every save is one git commit under the editor's name plus an audit row;
a refused change (the checks of lapor/nlu/checks.py, a stale page) writes nothing
and shows the Indonesian reason with the editor's draft kept."""

from __future__ import annotations

import html
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import urlencode

import pytest
from sanic import Sanic
from sqlalchemy import select

from backend.settings import BackendSettings
from backend.tables import audit_log
from lapor.nlu.checks import MIN_EXAMPLES
from lapor.nlu.examples import parse_example
from lapor.nlu.files import NluData
from tests.backend.console.helpers import Browser, signed_in
from tests.backend.console.test_tickets import get, post, query

INTENT = "report_street_light"
NEW_LINE = "lampu di [gang melati](location) kedip kedip terus sejak tiga malam ini"


@pytest.fixture
def own_app(database_url: str, nlu_repo: Path) -> Sanic:
    """The app on a working copy of its own: these tests commit to it."""
    from backend.app import create_app

    settings = BackendSettings.load(
        database_url=database_url, open311_api_key="test-api-key", nlu_data_repo=nlu_repo
    )
    return create_app(settings, name=f"backend-{uuid.uuid4().hex[:8]}")


async def editor(database_url: str) -> Browser:
    return await signed_in(database_url, "editor-rina", ["editor"])


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def lines(repo: Path, intent: str = INTENT) -> List[str]:
    return [e.annotated() for e in NluData.load(repo / "data" / "nlu").examples(intent)]


def form_for(line: str, **extra: str) -> Dict[str, str]:
    """The fields the page's script posts for an annotated line."""
    example = parse_example(line)
    spans = [
        {"entity": s.entity, "start": s.start, "end": s.end, "value": example.value_of(s)}
        for s in example.spans
    ]
    return {"text": example.text, "spans": json.dumps(spans), **extra}


async def audited(database_url: str) -> List[Any]:
    return await query(
        database_url,
        select(audit_log).where(audit_log.c.action.like("nlu.example.%")).order_by(audit_log.c.id),
    )


async def test_the_list_shows_every_intent_with_its_count_and_the_history(
    own_app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    rina = await editor(database_url)
    page = await get(own_app, rina, "/console/nlu")
    assert page.status == 200
    count = len(lines(nlu_repo))
    assert f'<tr data-intent="{INTENT}">' in page.text
    row = page.text.split(f'<tr data-intent="{INTENT}">')[1].split("</tr>")[0]
    assert f'<td class="count">{count}</td>' in row
    assert page.text.index('data-intent="greet"') < page.text.index(f'data-intent="{INTENT}"')
    assert "Perubahan terakhir" in page.text


async def test_search_finds_examples_ignoring_case_and_links_to_them(
    own_app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    rina = await editor(database_url)
    # Three words of the first example: a phrase no other example holds, however the data grows.
    wanted = " ".join(parse_example(lines(nlu_repo)[0]).text.split()[1:4])
    page = await get(own_app, rina, f"/console/nlu?{urlencode({'q': wanted.upper()})}")
    assert page.status == 200
    assert f'href="/console/nlu/intents/{INTENT}#contoh-1"' in page.text
    none = await get(own_app, rina, "/console/nlu?q=zzzqqq-tidak-ada")
    assert "Tidak ada contoh yang memuat kata itu." in none.text


async def test_the_intent_page_highlights_entities_and_an_unknown_intent_is_404(
    own_app: Sanic, database_url: str
) -> None:
    rina = await editor(database_url)
    page = await get(own_app, rina, f"/console/nlu/intents/{INTENT}")
    assert page.status == 200
    assert '<mark data-entity="location"' in page.text
    assert page.text.count('class="nlu-example') > 1  # the add form and one per example
    assert '<script src="/console/static/nlu.js" defer></script>' in page.text
    assert ">No. tiang</button>" in page.text and '<option value="Tosaren">' in page.text
    missing = await get(own_app, rina, "/console/nlu/intents/tidak_ada")
    assert missing.status == 404


async def test_adding_writes_the_line_and_makes_one_commit_by_the_editor(
    own_app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    rina = await editor(database_url)
    before = commits(nlu_repo)
    added = await post(own_app, rina, f"/console/nlu/intents/{INTENT}/examples", form_for(NEW_LINE))
    assert added.status == 303
    assert added.headers["location"] == f"/console/nlu/intents/{INTENT}?selesai=1"
    assert f"    - {NEW_LINE}\n" in (nlu_repo / "data/nlu" / f"{INTENT}.yml").read_text()
    assert commits(nlu_repo) == before + 1
    assert git(nlu_repo, "log", "-1", "--format=%an|%s") == f"Editor-Rina|Tambah contoh ke {INTENT}"
    assert git(nlu_repo, "status", "--porcelain") == ""
    page = await get(own_app, rina, added.headers["location"])
    assert "Contoh sudah disimpan." in page.text
    [row] = await audited(database_url)
    assert (row.actor, row.action, row.record_type, row.record_id) == (
        "editor-rina",
        "nlu.example.add",
        "nlu_example",
        INTENT,
    )
    assert row.detail == {
        "intent": INTENT,
        "index": None,
        "example": NEW_LINE,
        "commit": git(nlu_repo, "rev-parse", "HEAD"),
    }


async def test_replacing_and_deleting_an_example(
    own_app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    rina = await editor(database_url)
    old = lines(nlu_repo)
    url = f"/console/nlu/intents/{INTENT}/examples/2"
    changed = await post(own_app, rina, url, form_for(NEW_LINE, aksi="simpan", expected=old[2]))
    assert changed.status == 303
    assert lines(nlu_repo) == [*old[:2], NEW_LINE, *old[3:]]
    assert git(nlu_repo, "log", "-1", "--format=%s") == f"Ubah contoh 3 di {INTENT}"
    gone = await post(own_app, rina, url, {"aksi": "hapus", "expected": NEW_LINE})
    assert gone.status == 303
    assert lines(nlu_repo) == [*old[:2], *old[3:]]
    assert git(nlu_repo, "log", "-1", "--format=%s") == f"Hapus contoh 3 dari {INTENT}"
    rows = await audited(database_url)
    assert [(r.action, r.detail["index"], r.detail["example"]) for r in rows] == [
        ("nlu.example.replace", 2, NEW_LINE),
        ("nlu.example.delete", 2, NEW_LINE),
    ]


def heldout_sentence() -> str:
    text = (Path(__file__).parents[2] / "nlu" / "heldout.yml").read_text(encoding="utf-8")
    line = next(x.strip() for x in text.splitlines() if x.strip().startswith("- min PJU"))
    return parse_example(line[2:]).text


@pytest.mark.parametrize(
    "case",
    ["heldout", "duplicate", "beyond", "kelurahan"],
)
async def test_an_unsound_example_is_refused_with_nothing_written(
    own_app: Sanic, database_url: str, nlu_repo: Path, case: str
) -> None:
    rina = await editor(database_url)
    greeting = lines(nlu_repo, "greet")[0]
    fields, message = {
        "heldout": ({"text": heldout_sentence(), "spans": "[]"}, "ada di data uji"),
        "duplicate": ({"text": greeting, "spans": "[]"}, 'sudah ada di intent "greet"'),
        "beyond": (
            {"text": "lampu mati", "spans": '[{"entity": "location", "start": 6, "end": 40}]'},
            "di luar kalimat yang panjangnya 10 karakter",
        ),
        "kelurahan": (
            {
                "text": "lampu di kampung antah mati",
                "spans": '[{"entity": "kelurahan", "start": 9, "end": 22, "value": "Antah"}]',
            },
            'Nama kelurahan "Antah" tidak ada di daftar 46 kelurahan',
        ),
    }[case]
    path = nlu_repo / "data/nlu" / f"{INTENT}.yml"
    before, count = path.read_bytes(), commits(nlu_repo)
    response = await post(own_app, rina, f"/console/nlu/intents/{INTENT}/examples", fields)
    assert response.status == 422
    shown = html.unescape(response.text)
    assert message in shown
    assert "Perubahan belum disimpan" in shown
    assert f">{fields['text']}</textarea>" in shown  # the draft is kept
    assert path.read_bytes() == before and commits(nlu_repo) == count
    assert await audited(database_url) == []


def keep_only(repo: Path, count: int) -> None:
    """The working copy as if the intent had only `count` examples left (committed)."""
    data = NluData.load(repo / "data" / "nlu")
    while len(data.examples(INTENT)) > count:
        data.delete(INTENT, count)
    data.save()
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qam", "kurangi")


async def test_deleting_below_the_minimum_of_a_report_intent_is_refused(
    own_app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    rina = await editor(database_url)
    keep_only(nlu_repo, MIN_EXAMPLES)
    old = lines(nlu_repo)
    path = nlu_repo / "data/nlu" / f"{INTENT}.yml"
    before, count = path.read_bytes(), commits(nlu_repo)
    url = f"/console/nlu/intents/{INTENT}/examples/0"
    response = await post(own_app, rina, url, {"aksi": "hapus", "expected": old[0]})
    assert response.status == 422
    wanted = f"akan tinggal {MIN_EXAMPLES - 1} contoh; minimal {MIN_EXAMPLES}"
    assert wanted in html.unescape(response.text)
    assert path.read_bytes() == before and commits(nlu_repo) == count


async def test_a_stale_edit_is_refused(own_app: Sanic, database_url: str, nlu_repo: Path) -> None:
    rina = await editor(database_url)
    old = lines(nlu_repo)
    url = f"/console/nlu/intents/{INTENT}/examples/1"
    first = await post(own_app, rina, url, form_for(NEW_LINE, aksi="simpan", expected=old[1]))
    assert first.status == 303
    count = commits(nlu_repo)
    late = "lampu jalan depan sekolah mati total sejak kemarin sore"
    second = await post(own_app, rina, url, form_for(late, aksi="simpan", expected=old[1]))
    assert second.status == 422
    assert "sudah diubah orang lain" in second.text
    assert late in second.text  # the draft is kept
    assert lines(nlu_repo)[1] == NEW_LINE and commits(nlu_repo) == count
    deleting = await post(own_app, rina, url, {"aksi": "hapus", "expected": old[1]})
    assert deleting.status == 422 and commits(nlu_repo) == count


async def test_other_roles_may_not_open_or_change_the_training_data(
    own_app: Sanic, database_url: str, nlu_repo: Path
) -> None:
    staff = await signed_in(database_url, "staf-dishub", ["staff"], "dishub")
    count = commits(nlu_repo)
    assert (await get(own_app, staff, "/console/nlu")).status == 403
    refused = await post(
        own_app, staff, f"/console/nlu/intents/{INTENT}/examples", form_for(NEW_LINE)
    )
    assert refused.status == 403
    assert commits(nlu_repo) == count

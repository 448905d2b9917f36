from __future__ import annotations

import asyncio

from sanic import Sanic

from backend.forms import fingerprint
from lapor.contact import ContactCipher
from lapor.settings import DEVELOPMENT_CONTACT_KEY
from tests.backend.helpers import count_rows, post_request, valid_form


async def test_retry_with_same_key_returns_same_ticket(app: Sanic, database_url: str) -> None:
    first_status, first = await post_request(app, valid_form(), idempotency_key="abc-123")
    again_status, again = await post_request(app, valid_form(), idempotency_key="abc-123")
    assert (first_status, again_status) == (201, 200)
    assert again[0]["service_request_id"] == first[0]["service_request_id"]
    assert count_rows(database_url) == (1, 1)


async def test_replay_header_marks_the_retry(app: Sanic) -> None:
    await post_request(app, valid_form(), idempotency_key="k1")
    _, response = await app.asgi_client.post(
        "/open311/v2/requests.json",
        content="api_key=test-api-key&service_code=street_light"
        "&description=Lampu+jalan+mati+sejak+3+hari&address_string=Jl.+Dhoho+depan+toko+emas",
        headers={"content-type": "application/x-www-form-urlencoded", "Idempotency-Key": "k1"},
    )
    assert response.status == 200
    assert response.headers.get("idempotent-replayed") == "true"


async def test_same_key_different_request_is_409(app: Sanic, database_url: str) -> None:
    await post_request(app, valid_form(), idempotency_key="reused")
    status, body = await post_request(app, valid_form(description="lain"), idempotency_key="reused")
    assert status == 409
    assert body[0]["code"] == 409
    assert count_rows(database_url) == (1, 1)


async def test_different_keys_make_different_tickets(app: Sanic, database_url: str) -> None:
    _, a = await post_request(app, valid_form(), idempotency_key="a")
    _, b = await post_request(app, valid_form(), idempotency_key="b")
    assert a[0]["service_request_id"] != b[0]["service_request_id"]
    assert count_rows(database_url) == (2, 2)


async def test_concurrent_retries_create_one_ticket(app: Sanic, database_url: str) -> None:
    results = await asyncio.gather(
        *(post_request(app, valid_form(), idempotency_key="race") for _ in range(6))
    )
    ids = {body[0]["service_request_id"] for _, body in results}
    assert len(ids) == 1
    assert sorted(status for status, _ in results).count(201) == 1
    assert count_rows(database_url) == (1, 1)


def test_api_key_is_not_part_of_the_request_identity() -> None:
    # A client that rotates its key and retries must not get a 409.
    form = {"service_code": ["road"], "description": ["lubang"], "address_string": ["x"]}
    assert fingerprint({**form, "api_key": ["old"]}) == fingerprint({**form, "api_key": ["new"]})
    assert fingerprint(form) != fingerprint({**form, "description": ["lain"]})


def test_the_reporters_number_sealed_anew_is_the_same_request() -> None:
    # Another replica running the confirming message again seals the number again.
    cipher = ContactCipher(DEVELOPMENT_CONTACT_KEY.encode())
    form = {"service_code": ["road"], "account_id": ["whatsapp:p-1"], "description": ["lubang"]}
    first = {**form, "contact_token": [cipher.seal("+6281234567890")]}
    again = {**form, "contact_token": [cipher.seal("+6281234567890")]}
    assert first["contact_token"] != again["contact_token"]
    assert fingerprint(first) == fingerprint(again)
    assert fingerprint(first) != fingerprint({**first, "account_id": ["whatsapp:p-2"]})

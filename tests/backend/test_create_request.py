from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
from sanic import Sanic

from backend.settings import BackendSettings
from tests.backend.helpers import (
    API_KEY,
    OUTSIDE,
    SETONOGEDONG,
    count_rows,
    post_request,
    stored_photo,
    valid_form,
)


async def test_creates_ticket_with_readable_id_and_sla(app: Sanic, database_url: str) -> None:
    status, body = await post_request(app, valid_form())
    assert status == 201
    (created,) = body
    assert re.fullmatch(r"KDR-\d{4}-\d{6}", created["service_request_id"])
    assert created["agency_responsible"] == "Dinas Perhubungan"
    assert "Dinas Perhubungan" in created["service_notice"]
    expected = datetime.fromisoformat(created["expected_datetime"])
    assert expected.utcoffset() == timedelta(hours=7)
    # street_light has a 3-day SLA.
    assert (
        timedelta(days=2, hours=23) < expected - datetime.now(expected.tzinfo) <= timedelta(days=3)
    )
    assert count_rows(database_url) == (1, 1)

    # The trusted view (api_key): the ticket as stored.
    _, response = await app.asgi_client.get(
        f"/open311/v2/requests/{created['service_request_id']}.json", params={"api_key": API_KEY}
    )
    (ticket,) = response.json
    assert ticket["status"] == "open"
    assert ticket["workflow_status"] == "diterima"
    assert ticket["address"] == "Jl. Dhoho depan toko emas"
    assert ticket["service_name"] == "Penerangan jalan umum dan lampu lalu lintas"


async def test_coordinates_resolve_kelurahan(app: Sanic) -> None:
    lat, lon = SETONOGEDONG
    form = valid_form(lat=lat, long=lon, address_string=None)
    status, body = await post_request(app, form)
    assert status == 201
    _, response = await app.asgi_client.get(
        f"/open311/v2/requests/{body[0]['service_request_id']}.json", params={"api_key": API_KEY}
    )
    ticket = response.json[0]
    assert (ticket["lat"], ticket["long"]) == (lat, lon)
    assert ticket["kelurahan_code"] == "35.71.02.1009"
    assert ticket["kelurahan"] == "Setonogedong"


async def test_explicit_kelurahan_code_and_attributes_and_media(app: Sanic) -> None:
    first, second = await stored_photo(app), await stored_photo(app)
    form = valid_form(
        service_code="social_aid",
        kelurahan_code="35.71.01.1001",
        **{"attribute[program]": "pkh"},
        media_url=[first, second],
    )
    status, body = await post_request(app, form)
    assert status == 201
    _, response = await app.asgi_client.get(
        f"/open311/v2/requests/{body[0]['service_request_id']}.json", params={"api_key": API_KEY}
    )
    ticket = response.json[0]
    assert ticket["kelurahan"] == "Bandar Lor"
    assert ticket["media_url"] == first
    assert ticket["media_urls"] == [first, second]
    assert ticket["agency_code"] == "dinsos"


async def test_public_view_hides_reporter(app: Sanic) -> None:
    form = valid_form(
        phone="+6281234567890",
        email="warga@example.id",
        first_name="Siti",
        account_id="whatsapp:abc",
        channel="whatsapp",
    )
    _, body = await post_request(app, form)
    _, response = await app.asgi_client.get(
        f"/open311/v2/requests/{body[0]['service_request_id']}.json"
    )
    text = response.body.decode()
    for secret in ("6281234567890", "warga@example.id", "Siti", "whatsapp:abc"):
        assert secret not in text


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"api_key": None}, "api_key is required to create a service request"),
        ({"api_key": "wrong"}, "api_key is not valid"),
    ],
)
async def test_api_key_is_required(app: Sanic, database_url: str, overrides, problem) -> None:
    status, body = await post_request(app, valid_form(**overrides))
    assert status == 403
    assert body == [{"code": 403, "description": problem}]
    assert count_rows(database_url) == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"service_code": None}, "service_code is required"),
        ({"service_code": "ufo"}, "service_code 'ufo' is not a known service"),
        ({"description": None}, "description is required"),
        ({"description": "x" * 4001}, "description is longer than 4000 characters"),
        ({"address_string": None}, "a location is required: lat and long, or address_string"),
        ({"lat": "-7.8"}, "lat and long must be given together"),
        ({"lat": "abc", "long": "112"}, "lat and long must be decimal degrees"),
        ({"lat": "95", "long": "112"}, "lat must be within -90..90 and long within -180..180"),
        ({"lat": "nan", "long": "112"}, "lat must be within -90..90 and long within -180..180"),
        (
            {"lat": OUTSIDE[0], "long": OUTSIDE[1]},
            "lat/long is outside Kota Kediri, the area this service covers",
        ),
        (
            {"kelurahan_code": "35.71.09.9999"},
            "kelurahan_code '35.71.09.9999' is not a kelurahan of Kota Kediri",
        ),
        (
            {"attribute[colour]": "red"},
            "attribute[colour] is not an attribute of service 'street_light'",
        ),
        (
            {"service_code": "social_aid", "attribute[program]": "free-money"},
            "attribute[program] must be one of "
            "['pkh', 'bpnt', 'blt', 'dtks', 'kis_pbi', 'lainnya']",
        ),
        (
            {"media_url": "https://attacker.example/media/" + "ab" * 16},
            "media_url 'https://attacker.example/media/abababababababababababababababab' "
            "must be a photo stored here (http://localhost:8000/media/<id>)",
        ),
        (
            {"channel": "pigeon"},
            "channel must be one of ['open311', 'other', 'phone', 'web', 'whatsapp']",
        ),
        ({"phone": "1" * 40}, "phone is longer than 32 characters"),
    ],
)
async def test_bad_input_is_refused_and_nothing_written(
    app: Sanic, database_url: str, overrides, problem
) -> None:
    status, body = await post_request(app, valid_form(**overrides))
    assert status == 400
    assert {"code": 400, "description": problem} in body
    assert count_rows(database_url) == (0, 0)


async def test_every_problem_is_reported_at_once(app: Sanic) -> None:
    status, body = await post_request(app, {"api_key": "test-api-key"})
    assert status == 400
    assert [e["description"] for e in body] == [
        "service_code is required",
        "description is required",
        "a location is required: lat and long, or address_string",
    ]


async def test_description_of_exactly_4000_characters_is_accepted(app: Sanic) -> None:
    status, _ = await post_request(app, valid_form(description="y" * 4000))
    assert status == 201


async def test_json_body_is_refused_with_a_hint(app: Sanic, database_url: str) -> None:
    _, response = await app.asgi_client.post(
        "/open311/v2/requests.json", json=valid_form(), headers={"content-type": "application/json"}
    )
    assert response.status == 400
    assert "form-encoded" in response.json[0]["description"]
    assert count_rows(database_url) == (0, 0)


async def test_tickets_per_account_are_rate_limited(app: Sanic, database_url: str) -> None:
    # The default limit is 5 an hour per account.
    for _ in range(5):
        status, _ = await post_request(app, valid_form(account_id="whatsapp:spam"))
        assert status == 201
    status, body = await post_request(app, valid_form(account_id="whatsapp:spam"))
    assert status == 429
    assert "limit 5" in body[0]["description"]
    status, _ = await post_request(app, valid_form(account_id="whatsapp:other"))
    assert status == 201
    assert count_rows(database_url)[0] == 6


async def test_a_sealed_contact_is_opened_and_kept_private(
    app: Sanic, settings: BackendSettings, database_url: str
) -> None:
    from sqlalchemy import create_engine, select

    from backend.tables import tickets
    from lapor.contact import ContactCipher
    from lapor.db import sync_url

    # Sealed the way the chat channel does, with the key the backend was given.
    token = ContactCipher.from_settings(settings).seal("whatsapp:+6281211112222")
    status, body = await post_request(app, valid_form(contact_token=token, channel="whatsapp"))
    assert status == 201
    engine = create_engine(sync_url(database_url), future=True)
    with engine.connect() as conn:
        phone = conn.execute(select(tickets.c.phone)).scalar_one()
    engine.dispose()
    assert phone == "+6281211112222"
    status, body = await post_request(app, valid_form(contact_token="not-a-token"))
    assert status == 400
    assert body[0]["description"].startswith("contact_token cannot be opened")


async def test_concurrent_creates_cannot_pass_the_limit_together(
    app: Sanic, database_url: str
) -> None:
    # All 15 check the limit at the same moment: only 5 may win.
    forms = [valid_form(account_id="whatsapp:burst", description=f"lampu {n}") for n in range(15)]
    results = await asyncio.gather(*(post_request(app, form) for form in forms))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 5 + [429] * 10
    assert count_rows(database_url)[0] == 5


async def test_requests_without_an_account_are_limited_by_the_client_address(
    app: Sanic, database_url: str
) -> None:
    for n in range(5):
        status, _ = await post_request(app, valid_form(description=f"jalan rusak {n}"))
        assert status == 201
    status, _ = await post_request(app, valid_form(description="jalan rusak lagi"))
    assert status == 429
    assert count_rows(database_url)[0] == 5


async def test_a_photo_url_that_was_never_stored_is_refused(app: Sanic, database_url: str) -> None:
    unknown = "http://localhost:8000/media/" + "0" * 32
    status, body = await post_request(app, valid_form(media_url=unknown))
    assert status == 400
    assert body[0]["description"] == f"media_url {unknown!r} is not a stored photo"
    assert count_rows(database_url) == (0, 0)


VALID_NIK = "3571015708900001"  # Kota Kediri, born 17-08-1990 (a woman: day + 40)


def _stored_attributes(database_url: str) -> dict:
    from sqlalchemy import create_engine, select

    from backend.tables import tickets
    from lapor.db import sync_url

    engine = create_engine(sync_url(database_url), future=True)
    with engine.connect() as conn:
        stored = conn.execute(select(tickets.c.attributes)).scalars().all()
    engine.dispose()
    return stored[-1]


async def test_an_nik_is_stored_sealed_whether_it_came_sealed_or_plain(
    app: Sanic, settings: BackendSettings, database_url: str
) -> None:
    from lapor.contact import ContactCipher
    from lapor.identity import open_number

    cipher = ContactCipher.from_settings(settings)
    for given in (cipher.seal_value(VALID_NIK), VALID_NIK):
        form = valid_form(service_code="social_aid", **{"attribute[nik]": given})
        status, _ = await post_request(app, form)
        assert status == 201
        stored = _stored_attributes(database_url)["nik"]
        assert VALID_NIK not in str(stored) and stored["last4"] == "0001"
        assert open_number(stored["sealed"], cipher) == VALID_NIK


@pytest.mark.parametrize(
    "given", ["357101570890000", "3571013002901234", "0000000000000000", "not-a-token"]
)
async def test_a_wrong_nik_is_refused_without_echoing_it(app: Sanic, given: str) -> None:
    form = valid_form(service_code="social_aid", **{"attribute[nik]": given})
    status, body = await post_request(app, form)
    assert status == 400
    assert body[0]["description"].startswith("attribute[nik] is not a")
    assert given not in str(body)

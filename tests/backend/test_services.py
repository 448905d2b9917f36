from __future__ import annotations

from sanic import Sanic

from lapor.catalogue import load_catalogue
from lapor.paths import SERVICES_FILE

EXPECTED_CODES = {
    "street_light": "dishub",
    "road": "dpupr",
    "tree": "dlhkp",
    "waste": "dlhkp",
    "drainage": "dpupr",
    "social_aid": "dinsos",
    "education": "dindik",
    "water": "pdam",
    "health": "dinkes",
    "public_order": "satpolpp",
    "civil_registry": "dispendukcapil",
    "other": "diskominfo",
}


def test_catalogue_routes_every_category_to_its_department() -> None:
    catalogue = load_catalogue(SERVICES_FILE)
    routed = {code: s.department.code for code, s in catalogue.services.items()}
    assert routed == EXPECTED_CODES


async def test_list_services(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/open311/v2/services.json")
    assert response.status == 200
    services = {s["service_code"]: s for s in response.json}
    assert set(services) == set(EXPECTED_CODES)
    light = services["street_light"]
    assert light["service_name"] == "Penerangan jalan umum dan lampu lalu lintas"
    assert light["metadata"] is True and light["type"] == "realtime"
    assert services["road"]["metadata"] is False


async def test_service_definition_lists_attributes(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/open311/v2/services/social_aid.json")
    assert response.status == 200
    attribute, nik = response.json["attributes"]
    assert (attribute["code"], nik["code"]) == ("program", "nik")
    assert attribute["datatype"] == "singlevaluelist"
    assert {"key": "pkh", "name": "PKH"} in attribute["values"]


async def test_unknown_service_definition_is_404(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/open311/v2/services/flying_cars.json")
    assert response.status == 404
    assert response.json == [{"code": 404, "description": "service_code 'flying_cars' not found"}]


async def test_xml_format_is_refused(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/open311/v2/services/road.xml")
    assert response.status == 400
    assert "not supported" in response.json[0]["description"]


async def test_other_jurisdiction_is_404(app: Sanic) -> None:
    _, response = await app.asgi_client.get(
        "/open311/v2/services.json", params={"jurisdiction_id": "surabaya.go.id"}
    )
    assert response.status == 404
    _, ok = await app.asgi_client.get(
        "/open311/v2/services.json", params={"jurisdiction_id": "kedirikota.go.id"}
    )
    assert ok.status == 200


async def test_unknown_path_gets_open311_error_body(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/open311/v2/nothing.json")
    assert response.status == 404
    assert response.json[0]["code"] == 404


async def test_health_reports_database(app: Sanic) -> None:
    _, response = await app.asgi_client.get("/health")
    assert response.status == 200
    assert response.json == {"status": "ok", "database": "ok"}

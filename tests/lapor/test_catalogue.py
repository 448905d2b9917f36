from __future__ import annotations

from pathlib import Path

import pytest

from lapor.catalogue import CatalogueError, load_catalogue

GOOD = """
departments:
  - {code: dishub, name: Dinas Perhubungan}
services:
  - code: street_light
    name: Lampu
    description: Lampu jalan
    department: dishub
    sla_days: 3
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "services.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    service = catalogue.service("street_light")
    assert service is not None and service.department.name == "Dinas Perhubungan"
    assert service.keywords == () and service.attributes == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("department: dishub", "department: dinas_ufo"),
            "services[0]: unknown department 'dinas_ufo'",
        ),
        (("sla_days: 3", "sla_days: tiga"), "services[0]: sla_days must be a whole number"),
        (("    name: Lampu\n", ""), "services[0]: 'name' is required"),
        (("services:", "services: 3\nx:"), "services: expected a list"),
        (("sla_days: 3", "sla_days: 3\n    place: rumah"), "services[0]: place must be one of"),
    ],
)
def test_editor_mistakes_name_the_entry(tmp_path: Path, change, message) -> None:
    old, new = change
    with pytest.raises(CatalogueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_catalogue(_write(tmp_path, GOOD.replace(old, new)))


def test_duplicate_service_code(tmp_path: Path) -> None:
    text = GOOD + GOOD.split("services:\n", 1)[1]
    with pytest.raises(CatalogueError, match="duplicate service code 'street_light'"):
        load_catalogue(_write(tmp_path, text))


def test_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(_write(tmp_path, "services: [unclosed"))


def test_valuelist_needs_values(tmp_path: Path) -> None:
    text = GOOD + "    attributes:\n      - {code: p, description: P, datatype: singlevaluelist}\n"
    with pytest.raises(CatalogueError, match="needs 'values'"):
        load_catalogue(_write(tmp_path, text))


def test_a_question_for_the_chatbot_is_read_with_its_entity_and_pattern(tmp_path: Path) -> None:
    text = GOOD + (
        "    short_name: lampu jalan\n"
        "    attributes:\n"
        "      - code: pole\n"
        "        description: Nomor tiang\n"
        "        datatype: string\n"
        "        prompt: Nomor tiangnya berapa?\n"
        "        entity: pole_number\n"
        "        pattern: '\\d+'\n"
        "      - {code: internal, description: Untuk aplikasi lain, datatype: string}\n"
    )
    service = load_catalogue(_write(tmp_path, text)).service("street_light")
    assert service is not None and service.short_name == "lampu jalan"
    assert service.place == "street"
    (pole,) = service.asked  # an attribute without a prompt is never asked in the chat
    assert (pole.prompt, pole.entity) == ("Nomor tiangnya berapa?", "pole_number")
    assert pole.pattern is not None and pole.pattern.search("tiang 17").group(0) == "17"


def test_a_broken_pattern_names_the_attribute(tmp_path: Path) -> None:
    broken = "{code: p, description: P, datatype: string, pattern: '(('}"
    text = GOOD + f"    attributes:\n      - {broken}\n"
    with pytest.raises(CatalogueError, match=r"services\[0\]\.attributes\[0\]: pattern is not"):
        load_catalogue(_write(tmp_path, text))

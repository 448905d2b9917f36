"""A complaint category is defined in five places; the check names what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from bot.catalogue_check import DOMAIN_DIR, HELDOUT, NLU_DIR, RULES_FILE, missing_parts
from lapor.paths import SERVICES_FILE

CODE = "stray_cats"
INTENT = f"report_{CODE}"
NEW_SERVICE = f"""
  - code: {CODE}
    name: Kucing liar
    description: Kucing liar yang berkeliaran di fasilitas umum.
    department: dlhkp
    group: Lingkungan
    sla_days: 7
"""


@pytest.fixture
def copies(tmp_path: Path) -> Dict[str, Path]:
    """The repository's catalogue, domain, rules, NLU and held-out files, copied."""
    paths = {
        "services": tmp_path / "services.yml",
        "domain_dir": tmp_path / "domain",
        "rules": tmp_path / "rules.yml",
        "nlu_dir": tmp_path / "nlu",
        "heldout": tmp_path / "heldout_c.yml",
    }
    shutil.copy(SERVICES_FILE, paths["services"])
    shutil.copytree(DOMAIN_DIR, paths["domain_dir"])
    shutil.copy(RULES_FILE, paths["rules"])
    shutil.copytree(NLU_DIR, paths["nlu_dir"])
    shutil.copy(HELDOUT[-1], paths["heldout"])
    return paths


def check(paths: Dict[str, Path]) -> List[str]:
    return missing_parts(
        paths["services"], paths["domain_dir"], paths["rules"], paths["nlu_dir"], [paths["heldout"]]
    )


def add_service(paths: Dict[str, Path]) -> None:
    with paths["services"].open("a", encoding="utf-8") as file:
        file.write(NEW_SERVICE)


def add_intent(paths: Dict[str, Path]) -> None:
    intents = paths["domain_dir"] / "intents.yml"
    text = intents.read_text(encoding="utf-8")
    intents.write_text(text.replace("intents:\n", f"intents:\n  - {INTENT}\n", 1), encoding="utf-8")


def add_rule(paths: Dict[str, Path]) -> None:
    rules = yaml.safe_load(paths["rules"].read_text(encoding="utf-8"))
    start = next(r for r in rules["rules"] if r["rule"] == "start a complaint")
    start["steps"][0]["or"].append({"intent": INTENT})
    paths["rules"].write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")


def write_examples(path: Path, count: int) -> None:
    lines = "".join(
        f"    - ada kucing liar nomor {n} di [pasar pahing](location)\n" for n in range(count)
    )
    path.write_text(
        f'version: "3.1"\nnlu:\n- intent: {INTENT}\n  examples: |\n{lines}', encoding="utf-8"
    )


def test_the_repositorys_categories_are_complete() -> None:
    assert missing_parts(SERVICES_FILE, DOMAIN_DIR, RULES_FILE, NLU_DIR, HELDOUT) == []


def test_a_category_only_in_services_yml_misses_all_four_parts(copies: Dict[str, Path]) -> None:
    add_service(copies)

    problems = check(copies)

    assert len(problems) == 4
    assert all(line.startswith(f"{CODE}: ") for line in problems)
    text = "\n".join(problems)
    assert "not declared" in text
    assert "no rule" in text
    assert "0 training examples" in text
    assert "no held-out example" in text


def test_a_category_with_every_part_is_complete(copies: Dict[str, Path]) -> None:
    add_service(copies)
    add_intent(copies)
    add_rule(copies)
    write_examples(copies["nlu_dir"] / f"{INTENT}.yml", 20)
    with copies["heldout"].open("a", encoding="utf-8") as file:
        file.write(f"- intent: {INTENT}\n  examples: |\n    - kucing liar masuk sekolah\n")

    assert check(copies) == []


def test_nineteen_training_examples_are_too_few(copies: Dict[str, Path]) -> None:
    add_service(copies)
    add_intent(copies)
    add_rule(copies)
    write_examples(copies["nlu_dir"] / f"{INTENT}.yml", 19)

    problems = check(copies)

    assert any("19 training examples" in line for line in problems)


def test_a_report_intent_without_a_service_is_reported(copies: Dict[str, Path]) -> None:
    add_intent(copies)

    problems = check(copies)

    assert len(problems) == 1
    assert problems[0].startswith(f"{CODE}: intent {INTENT} is in the domain")


def test_the_button_only_category_needs_no_intent(copies: Dict[str, Path]) -> None:
    # "other" (Lainnya) is chosen with a button and exists in services.yml only.
    text = (copies["domain_dir"] / "intents.yml").read_text(encoding="utf-8")
    assert "report_other" not in text
    assert check(copies) == []

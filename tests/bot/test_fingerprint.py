"""Rasa's training cache sees a change to our components' code or data."""

from __future__ import annotations

from pathlib import Path

from bot.components import fingerprint
from bot.components.emergency import EmergencyPriority
from bot.components.kelurahan import KelurahanExtractor
from bot.components.locations import LocationSpanMerger
from bot.components.tokenizer import IndonesianTokenizer


def test_every_custom_component_adds_our_code_to_its_cache_key() -> None:
    expected = fingerprint.code_fingerprint()
    for component in (
        IndonesianTokenizer,
        KelurahanExtractor,
        LocationSpanMerger,
        EmergencyPriority,
    ):
        assert component.fingerprint_addon({}) == expected


def test_the_fingerprint_covers_the_code_the_lexicon_and_the_gazetteer() -> None:
    names = {str(p.relative_to(fingerprint.REPO_ROOT)) for p in fingerprint.files()}
    assert {"bot/components/tokenizer.py", "data/lexicon/slang.yml", "lapor/normalize.py"} <= names
    assert any(name.startswith("data/gazetteer/") for name in names)


def test_a_changed_file_changes_the_fingerprint(tmp_path: Path) -> None:
    code = tmp_path / "bot" / "components" / "tokenizer.py"
    code.parent.mkdir(parents=True)
    code.write_text("VERSION = 1\n")
    before = fingerprint.digest(fingerprint.files(tmp_path, ["bot/components"]), tmp_path)
    code.write_text("VERSION = 2\n")
    after = fingerprint.digest(fingerprint.files(tmp_path, ["bot/components"]), tmp_path)
    assert before != after

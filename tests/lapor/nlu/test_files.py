"""lapor.nlu.files: loading, searching, changing and saving data/nlu byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

from lapor.nlu.examples import Example, parse_example
from lapor.nlu.files import NluData
from tests.lapor.nlu.conftest import NLU, PREFIX, example_files


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_load_reads_every_intent_file_and_ignores_regex(data: NluData) -> None:
    intents = data.intents()
    assert set(intents) == {path.stem for path in example_files()}
    for path in example_files():
        count = sum(line.startswith(PREFIX) for line in path.read_text().splitlines())
        assert len(intents[path.stem]) == count


def test_search_ignores_case_and_annotations(data: NluData) -> None:
    hits = data.search("MANISRENGGO")
    assert ("report_water", 20) in [(intent, index) for intent, index, _ in hits]
    assert all("manisrenggo" in example.text.lower() for _, _, example in hits)
    assert data.search('"entity"') == []


def test_load_and_save_without_changes_touches_no_file(tmp_path: Path) -> None:
    shutil.copytree(NLU, tmp_path / "nlu")
    before = snapshot(tmp_path / "nlu")
    assert NluData.load(tmp_path / "nlu").save() == []
    assert snapshot(tmp_path / "nlu") == before


def test_rewriting_every_file_keeps_every_byte(tmp_path: Path) -> None:
    folder = tmp_path / "nlu"
    shutil.copytree(NLU, folder)
    before = snapshot(folder)
    nlu = NluData.load(folder)
    for intent, examples in nlu.intents().items():
        nlu.replace(intent, 0, examples[0])
    assert len(nlu.save()) == len(example_files())
    assert snapshot(folder) == before


def test_adding_keeps_the_comment_and_every_other_line(small: Path) -> None:
    path = small / "greet.yml"
    path.write_text("# Salam pembuka.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    before = path.read_text(encoding="utf-8").splitlines()
    nlu = NluData.load(small)
    nlu.add("greet", parse_example('sugeng siang [mas]{"entity": "location", "value": "x"}'))
    assert nlu.save() == [path]
    after = path.read_text(encoding="utf-8").splitlines()
    assert after == [*before, PREFIX + 'sugeng siang [mas]{"entity": "location", "value": "x"}']


def test_replace_and_delete_change_only_their_line(small: Path) -> None:
    path = small / "report_water.yml"
    before = path.read_text(encoding="utf-8").splitlines()
    nlu = NluData.load(small)
    nlu.replace("report_water", 1, Example("tagihan PDAM naik"))
    nlu.delete("report_water", 3)
    nlu.save()
    after = path.read_text(encoding="utf-8").splitlines()
    first = before.index("  examples: |") + 1
    expected = list(before)
    expected[first + 1] = PREFIX + "tagihan PDAM naik"
    del expected[first + 3]
    assert after == expected
    assert NluData.load(small).examples("report_water")[1] == Example("tagihan PDAM naik")


def test_save_writes_only_the_changed_files(small: Path) -> None:
    before = snapshot(small)
    nlu = NluData.load(small)
    nlu.add("greet", Example("sugeng siang lur"))
    assert nlu.save() == [small / "greet.yml"]
    after = snapshot(small)
    assert after["report_water.yml"] == before["report_water.yml"]
    assert after["regex.yml"] == before["regex.yml"]


def test_a_new_intent_gets_its_own_file_in_the_same_format(small: Path) -> None:
    nlu = NluData.load(small)
    nlu.add("report_noise", parse_example("sound horeg [gang 3](location) sampai subuh"))
    nlu.add("report_noise", Example("tetangga karaokean tiap malam"))
    assert nlu.save() == [small / "report_noise.yml"]
    assert (small / "report_noise.yml").read_text(encoding="utf-8") == (
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: report_noise\n"
        "  examples: |\n"
        "    - sound horeg [gang 3](location) sampai subuh\n"
        "    - tetangga karaokean tiap malam\n"
    )
    assert len(NluData.load(small).examples("report_noise")) == 2


def test_files_with_several_intents_keep_their_comments(tmp_path: Path) -> None:
    path = tmp_path / "two.yml"
    text = (
        'version: "3.1"\n# top\nnlu:\n- intent: a\n  examples: |\n    - x\n    - y\n\n'
        "# between\n- intent: b\n  examples: |\n    - z\n# end\n"
    )
    path.write_text(text, encoding="utf-8")
    nlu = NluData.load(tmp_path)
    nlu.add("a", Example("w"))
    nlu.replace("b", 0, Example("zz"))
    nlu.save()
    expected = text.replace("    - y\n", "    - y\n    - w\n").replace("- z\n", "- zz\n")
    assert path.read_text(encoding="utf-8") == expected

"""lapor.nlu_examples: what the editors' console relies on when it changes data/nlu.

Anything that writes works on tmp_path copies: the real data/nlu is only read.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pytest

from lapor.nlu_examples import (
    KNOWN_ENTITIES,
    Change,
    Example,
    NluData,
    Span,
    apply,
    default_heldout,
    near_duplicates,
    normalise,
    parse_example,
    validate,
)
from lapor.paths import DATA

NLU = DATA / "nlu"
HELDOUT_B = DATA.parent / "tests" / "nlu" / "heldout_b.yml"
PREFIX = "    - "


def example_files() -> List[Path]:
    return [path for path in sorted(NLU.glob("*.yml")) if path.name != "regex.yml"]


@pytest.fixture(scope="module")
def data() -> NluData:
    """Today's data, read-only (validate never changes it)."""
    return NluData.load(NLU)


@pytest.fixture(scope="module")
def heldout() -> List[Path]:
    return default_heldout()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A writable folder with two intents and the regex file."""
    for name in ("report_water.yml", "greet.yml", "regex.yml"):
        shutil.copy(NLU / name, tmp_path / name)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def codes(problems: list) -> List[str]:
    return [problem.code for problem in problems]


# --- Parsing and writing one line -------------------------------------------------


def test_every_line_of_todays_data_round_trips() -> None:
    lines = [
        line[len(PREFIX) :]
        for path in example_files()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(PREFIX)
    ]
    assert len(lines) > 2500
    assert [parse_example(line).annotated() for line in lines] == lines


def test_parse_gives_plain_text_and_spans() -> None:
    example = parse_example(
        'air mati [gang 3](location) [pakunden]{"entity": "kelurahan", "value": "Pakunden"}'
    )
    assert example.text == "air mati gang 3 pakunden"
    assert example.spans == (Span("location", 9, 15), Span("kelurahan", 16, 24, "Pakunden"))
    assert example.covered(example.spans[1]) == "pakunden"


def test_value_equal_to_the_text_is_dropped_but_its_long_form_is_kept() -> None:
    line = 'PJU mati di [Ketami]{"entity": "kelurahan", "value": "Ketami"}'
    example = parse_example(line)
    assert example.spans == (Span("kelurahan", 12, 18, None, long_form=True),)
    assert example.annotated() == line


def test_annotated_writes_the_value_only_when_it_differs() -> None:
    text = "bansos raskin telat di gang 2"
    example = Example(
        text, (Span("programme", 7, 13, "BPNT"), Span("location", 23, 29, value="gang 2"))
    )
    assert example.annotated() == (
        'bansos [raskin]{"entity": "programme", "value": "BPNT"} telat di [gang 2](location)'
    )
    assert parse_example(example.annotated()) == example
    kept = Example("PJU mati di Ketami", (Span("kelurahan", 12, 18, "Ketami", long_form=True),))
    assert kept.annotated() == 'PJU mati di [Ketami]{"entity": "kelurahan", "value": "Ketami"}'


def test_plain_brackets_stay_text() -> None:
    assert parse_example("[sticker]") == Example("[sticker]")


def test_roles_and_groups_are_refused_rather_than_dropped() -> None:
    with pytest.raises(ValueError):
        parse_example('[gang 3]{"entity": "location", "role": "from"}')


# --- Loading, searching, saving ---------------------------------------------------


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


# --- Validation -------------------------------------------------------------------


def test_the_same_sentence_under_another_intent_is_a_duplicate(
    data: NluData, heldout: List[Path]
) -> None:
    text = data.examples("report_road")[11].text
    messy = "  " + text.upper().replace(" ", "   ") + " !!"
    problems = validate(data, Change("report_drainage", None, Example(messy.strip())), heldout)
    assert [(p.code, p.message) for p in problems] == [
        ("duplicate", 'Kalimat ini sudah ada di intent "report_road" (contoh ke-12).')
    ]


def test_replacing_an_example_by_itself_with_new_labels_is_not_a_duplicate(
    data: NluData, heldout: List[Path]
) -> None:
    old = data.examples("report_water")[0]
    relabelled = Example(old.text, old.spans[:1])
    assert validate(data, Change("report_water", 0, relabelled), heldout) == []
    moved = Change("report_water", 1, old)
    assert codes(validate(data, moved, heldout)) == ["duplicate"]


def test_empty_long_and_multiline_sentences_are_refused(data: NluData, heldout: List[Path]) -> None:
    assert codes(validate(data, Change("greet", None, Example("   ")), heldout)) == ["empty"]
    long = validate(data, Change("greet", None, Example("halo " * 201)), heldout)
    assert "too_long" in codes(long)
    assert "Kalimat ini 1005 karakter; maksimal 1000." in [p.message for p in long]
    two_lines = validate(data, Change("greet", None, Example("halo\nmin")), heldout)
    assert codes(two_lines) == ["multiline"]


def test_spans_outside_empty_or_overlapping_are_refused(data: NluData, heldout: List[Path]) -> None:
    text = "lampu mati gang 3 rt 2"
    cases = [
        (Span("location", 11, 40),),
        (Span("location", 11, 11),),
        (Span("location", 11, 19), Span("rt_rw", 16, 22)),
        (Span("location", 0, 22), Span("rt_rw", 18, 22), Span("location", 11, 17)),
    ]
    for spans in cases:
        problems = validate(
            data, Change("report_street_light", None, Example(text, spans)), heldout
        )
        assert set(codes(problems)) == {"span_mismatch"}, spans
    overlap = validate(data, Change("report_street_light", None, Example(text, cases[2])), heldout)
    assert overlap[0].message == (
        'Penanda "location" ("gang 3 r") bertumpang tindih dengan penanda "rt_rw" ("3 rt 2").'
    )


def test_a_kelurahan_must_be_one_of_the_46(data: NluData, heldout: List[Path]) -> None:
    wrong = Example("got buntu di Bandar Lorr", (Span("kelurahan", 13, 24),))
    problems = validate(data, Change("report_drainage", None, wrong), heldout)
    assert [(p.code, p.message) for p in problems] == [
        (
            "unknown_kelurahan",
            'Nama kelurahan "Bandar Lorr" tidak ada di daftar 46 kelurahan Kota Kediri.',
        )
    ]
    by_value = Example("got buntu di bandarlor", (Span("kelurahan", 13, 22, "Bandar Lor"),))
    assert validate(data, Change("report_drainage", None, by_value), heldout) == []


def test_a_kelurahan_value_is_written_with_its_official_name(
    data: NluData, heldout: List[Path]
) -> None:
    loose = Example("got buntu di bandar lor", (Span("kelurahan", 13, 23),))
    problems = validate(data, Change("report_drainage", None, loose), heldout)
    assert [(p.code, p.message) for p in problems] == [
        (
            "kelurahan_value",
            'Nilai kelurahan "bandar lor" harus ditulis dengan nama resmi: "Bandar Lor".',
        )
    ]


def test_an_unknown_entity_is_refused_unless_listed(data: NluData, heldout: List[Path]) -> None:
    example = Example("sampah di pasar pahing", (Span("lokasi", 10, 22),))
    change = Change("report_waste", None, example)
    assert codes(validate(data, change, heldout)) == ["unknown_entity"]
    assert validate(data, change, heldout, entities=(*KNOWN_ENTITIES, "lokasi")) == []


def test_deleting_below_the_minimum_is_refused_for_reports_and_emergencies(
    data: NluData, heldout: List[Path]
) -> None:
    count = len(data.examples("report_water"))
    problems = validate(data, Change("report_water", 0), heldout, min_examples=count)
    assert [(p.code, p.message) for p in problems] == [
        ("too_few", f'Intent "report_water" akan tinggal {count - 1} contoh; minimal {count}.')
    ]
    fire = len(data.examples("emergency_fire"))
    assert codes(validate(data, Change("emergency_fire", 0), heldout, fire)) == ["too_few"]
    greet = len(data.examples("greet"))
    assert validate(data, Change("greet", 0), heldout, min_examples=greet) == []
    assert validate(data, Change("report_water", 0), heldout) == []


def test_a_held_out_sentence_is_never_copied_into_training(
    data: NluData, heldout: List[Path]
) -> None:
    line = next(
        line[len(PREFIX) :]
        for line in HELDOUT_B.read_text(encoding="utf-8").splitlines()
        if line.startswith(PREFIX) and "](location)" in line
    )
    copied = parse_example(line)
    problems = validate(data, Change("report_road", None, copied), heldout)
    assert [(p.code, p.message) for p in problems] == [
        (
            "heldout_copy",
            "Kalimat ini ada di data uji (tests/nlu/heldout_b.yml): data uji tidak boleh "
            "disalin ke data latihan.",
        )
    ]
    unlabelled = Example(copied.text.upper() + ".")
    assert codes(validate(data, Change("report_road", None, unlabelled), heldout)) == [
        "heldout_copy"
    ]


def test_plain_outcome_sets_count_as_held_out(data: NluData, heldout: List[Path]) -> None:
    example = Example("lampu jln mati 3 titik sukorame")  # outcome_complaints.yml
    problems = validate(data, Change("report_street_light", None, example), heldout)
    assert codes(problems) == ["heldout_copy"]
    assert "outcome_complaints.yml" in problems[0].message


def test_missing_examples_and_bad_intent_names_are_refused(
    data: NluData, heldout: List[Path]
) -> None:
    missing = validate(data, Change("greet", 999, Example("halo lur")), heldout)
    assert codes(missing) == ["not_found"]
    assert missing[0].message.startswith('Contoh ke-1000 tidak ada di intent "greet"')
    assert codes(validate(data, Change("nope", 0), heldout)) == ["not_found"]
    assert codes(validate(data, Change("Report Noise", None, Example("x y z")), heldout)) == [
        "bad_intent"
    ]
    assert codes(validate(data, Change("regex", None, Example("x y z")), heldout)) == ["bad_intent"]
    assert codes(validate(data, Change("greet"), heldout)) == ["invalid_change"]


def test_text_that_reads_as_markup_is_refused(data: NluData, heldout: List[Path]) -> None:
    example = Example("tulis [gang 3](location) begini")
    assert codes(validate(data, Change("out_of_scope", None, example), heldout)) == ["bad_markup"]


def test_punctuation_only_messages_stay_distinct() -> None:
    assert normalise("  Lampu   MATI!! ") == "lampu mati"
    assert normalise("¿halo min?") == "halo min"
    assert normalise("?!") == "?!"
    assert normalise("..") != normalise(".")


def test_apply_changes_only_when_valid(small: Path, heldout: List[Path]) -> None:
    nlu = NluData.load(small)
    count = len(nlu.examples("report_water"))
    bad = Example("air mati di Bandar Lorr", (Span("kelurahan", 12, 23),))
    assert codes(apply(nlu, Change("report_water", None, bad), heldout)) == ["unknown_kelurahan"]
    assert len(nlu.examples("report_water")) == count
    assert nlu.save() == []
    good = Example("air PDAM mati sejak subuh di gang 9", (Span("location", 29, 35),))
    assert apply(nlu, Change("report_water", None, good), heldout) == []
    assert apply(nlu, Change("report_water", 0, Example("pdam keruh parah")), heldout) == []
    assert apply(nlu, Change("report_water", 1), heldout) == []
    nlu.save()
    examples = NluData.load(small).examples("report_water")
    assert len(examples) == count
    assert examples[0] == Example("pdam keruh parah")
    assert examples[-1] == good


# --- Near duplicates --------------------------------------------------------------


def test_near_duplicates_find_small_edits_most_similar_first(data: NluData) -> None:
    original = data.examples("report_water")[0].text
    edited = original.replace("2 hari", "3 hari")
    hits = near_duplicates(data, edited)
    assert hits[0][:2] == ("report_water", 0)
    assert 0.85 <= hits[0][2] < 1
    assert [hit[2] for hit in hits] == sorted((hit[2] for hit in hits), reverse=True)
    assert near_duplicates(data, original)[0] == ("report_water", 0, 1.0)


def test_near_duplicates_ignore_unrelated_sentences(data: NluData) -> None:
    assert near_duplicates(data, "jadwal vaksin kucing gratis minggu depan di alun-alun") == []
    assert near_duplicates(data, "") == []


def test_near_duplicates_see_changes_made_since_loading(small: Path) -> None:
    nlu = NluData.load(small)
    assert near_duplicates(nlu, "sound horeg tiap malam minggu bikin kaca bergetar") == []
    nlu.add("report_water", Example("sound horeg tiap malam minggu bikin kaca getar"))
    hits = near_duplicates(nlu, "sound horeg tiap malam minggu bikin kaca bergetar")
    assert [hit[:2] for hit in hits] == [("report_water", len(nlu.examples("report_water")) - 1)]


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

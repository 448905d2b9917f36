"""lapor.nlu.checks: which changes the editors' console refuses, and why."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from lapor.nlu.checks import Change, apply, default_heldout, validate
from lapor.nlu.examples import KNOWN_ENTITIES, Example, Span, parse_example
from lapor.nlu.files import NluData
from lapor.paths import DATA
from tests.lapor.nlu.conftest import PREFIX

HELDOUT_B = DATA.parent / "tests" / "nlu" / "heldout_b.yml"


@pytest.fixture(scope="module")
def heldout() -> List[Path]:
    return default_heldout()


def codes(problems: list) -> List[str]:
    return [problem.code for problem in problems]


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

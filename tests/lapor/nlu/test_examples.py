"""lapor.nlu.examples: reading an annotated training line and writing it back."""

from __future__ import annotations

import pytest

from lapor.nlu.examples import Example, Span, normalise, parse_example
from tests.lapor.nlu.conftest import PREFIX, example_files


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


def test_punctuation_only_messages_stay_distinct() -> None:
    assert normalise("  Lampu   MATI!! ") == "lampu mati"
    assert normalise("¿halo min?") == "halo min"
    assert normalise("?!") == "?!"
    assert normalise("..") != normalise(".")

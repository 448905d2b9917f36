from __future__ import annotations

import re
from typing import List

import pytest

from lapor.gazetteer import Gazetteer, Word, edit_distance

_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def words(text: str) -> List[Word]:
    return [Word(m.group(), m.start(), m.end()) for m in _WORDS.finditer(text)]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(common_words={"benaran", "ayam"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lampu jalan di gang 3 Bandar Lor mati", ["Bandar Lor"]),
        ("kel. bandarlor", ["Bandar Lor"]),
        ("ndek Bandar lor", ["Bandar Lor"]),
        ("bandar lot", ["Bandar Lor"]),  # one typo in a long name
        ("sukoramw", ["Sukorame"]),
        ("banjir nang ngrongo", ["Ngronggo"]),
        ("kp dalem", ["Kampung Dalem"]),  # a listed variant
        ("setono pande dan kampungdalem", ["Setonopande", "Kampung Dalem"]),
        (
            "pakunden pakundem tempurjo blowerti smampir",
            ["Pakunden", "Pakunden", "Tempurejo", "Balowerti", "Semampir"],
        ),
    ],
)
def test_finds_names_whatever_the_spelling(gazetteer: Gazetteer, text, expected) -> None:
    assert [m.name for m in gazetteer.find(words(text))] == expected


@pytest.mark.parametrize(
    "text",
    [
        "lampu di pojok gang mati",
        "harga bawang naik terus",
        "sampah kemasan plastik numpuk",
        "burung betet lepas",
        "pondok pesantren",
        "kecamatan pesantren",
        "pohon gayam mau roboh",
        "bangsal perawatan penuh",
        "daging ayam",  # 'ayam' is one letter from 'gayam'
        "beneran bangsat",  # near 'banaran' and 'bangsal', but ordinary words
        "tanaman dandanan",
    ],
)
def test_ordinary_words_are_not_kelurahan(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find(words(text)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kel pojok", "Pojok"),
        ("banjir ndek Bawang", "Bawang"),
        ("daerah betet", "Betet"),
        ("kel. pesantren", "Pesantren"),
        ("desa gayam rt 2", "Gayam"),
    ],
)
def test_ambiguous_names_with_a_place_cue(gazetteer: Gazetteer, text: str, expected: str) -> None:
    assert [m.name for m in gazetteer.find(words(text))] == [expected]


def test_spans_and_codes(gazetteer: Gazetteer) -> None:
    (match,) = gazetteer.find(words("lampu di gang 3 Bandar Lor mati"))
    assert (match.start, match.end, match.text, match.code) == (
        16,
        26,
        "Bandar Lor",
        "35.71.01.1001",
    )


def test_expected_answer_allows_more_typos(gazetteer: Gazetteer) -> None:
    # Two typos in a 7-letter name: only when the answer is known to be a kelurahan.
    assert gazetteer.find(words("lrboyyo")) == []
    (match,) = gazetteer.find(words("lrboyyo"), expect_kelurahan=True)
    assert match.name == "Lirboyo"


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("bandarlor", "bandarlor", 0),
        ("bandarlot", "bandarlor", 1),
        ("smampir", "semampir", 1),
        ("tosaern", "tosaren", 1),
        ("abc", "xyz", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, budget=5) == distance

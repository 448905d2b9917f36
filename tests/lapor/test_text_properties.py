"""Property tests for the shared text code: any Unicode, any length, never a crash.

Word normalisation, the kelurahan gazetteer and the wilayah name lookups see
what citizens type (through the NLU and the actions' typed answers).
"""

from __future__ import annotations

import itertools
import re
from typing import List, Set, Tuple

from hypothesis import example, given
from hypothesis import strategies as st

from lapor.gazetteer import Gazetteer, Word, edit_distance, fold, load_rules
from lapor.normalize import load_lexicon, normalize_word
from lapor.wilayah import default_wilayah
from tests import strategies
from tests.strategies import ODD, checked

PROPERTY = checked(100)

WILAYAH = default_wilayah()
RULES = load_rules()
LEXICON = load_lexicon()
KELURAHAN = [area.name for area in WILAYAH.kelurahan]
WORDS = [
    *KELURAHAN,
    *RULES.variants,
    *sorted(RULES.strong_cues),
    *sorted(RULES.leaders),
    *sorted(RULES.followers),
    *sorted(RULES.place_words),
    *list(LEXICON)[:50],
    "kel.",
    "kecamatan",
    "BANDAR LOR",
    "tolonggg",
    "anak2",
]
chat_text = strategies.chat_text(WORDS)
any_text = strategies.any_text(chat_text)
word = st.one_of(
    st.text(max_size=30), st.sampled_from(WORDS), st.lists(st.sampled_from(ODD)).map("".join)
)

# How actions/places.py cuts a typed answer into words.
_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def words(text: str) -> List[Word]:
    return [Word(m.group(), m.start(), m.end()) for m in _WORDS.finditer(text)]


@PROPERTY
@given(word)
@example("GAKKK")
@example("İİİ")
@example("anak2")
@example("ﬁﬁﬁ")
def test_normalised_word_is_lower_case_and_stable(text: str) -> None:
    normal = normalize_word(text, LEXICON)
    assert normal == normal.lower()
    # The lemma is a fixed point: normalising it again changes nothing.
    assert normalize_word(normal, LEXICON) == normal


@PROPERTY
@given(any_text)
@example("İ\u0301Ⅻ²")
def test_fold_keeps_only_lower_case_letters_and_digits(text: str) -> None:
    folded = fold(text)
    assert all(ch.isalnum() for ch in folded)
    assert fold(folded) == folded


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance, the plain way (no budget)."""
    table = [[i + j if not i * j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


short = st.text(alphabet="abdnr", max_size=10) | st.text(max_size=10)


@PROPERTY
@given(short, short, st.integers(min_value=0, max_value=4))
@example("bandarlor", "bnadarlor", 1)
@example("", "abcdef", 1)
@example("ab", "ba", 0)
def test_budgeted_edit_distance_is_exact_within_the_budget(a: str, b: str, budget: int) -> None:
    distance = edit_distance(a, b, budget)
    true = osa_distance(a, b)
    # Within the budget the answer is exact; beyond it, it only says "too far".
    assert (distance <= budget) == (true <= budget)
    if true <= budget:
        assert distance == true


GAZETTEER = Gazetteer(common_words={"benaran", "ayam"})


@st.composite
def hinted_words(draw: st.DrawFn) -> Tuple[List[Word], Set[Tuple[int, int]], bool]:
    found = words(draw(any_text))
    # Hints are a model's spans: runs of the words, and any pairs of offsets.
    hints = draw(st.sets(st.tuples(st.integers(-5, 50), st.integers(-5, 50)), max_size=3))
    if found:
        for i in draw(st.sets(st.integers(0, len(found) - 1), max_size=5)):
            last = min(i + draw(st.integers(0, 2)), len(found) - 1)
            hints.add((found[i].start, found[last].end))
    return found, hints, draw(st.booleans())


@PROPERTY
@given(hinted_words())
@example((words("lampu jalan di gang 3 Bandar Lor mati"), set(), False))
@example((words("harga bawang naik di Bawang"), {(6, 12)}, True))
@example((words("kec. pesantren"), set(), False))
def test_gazetteer_matches_real_kelurahan_in_order(
    case: Tuple[List[Word], Set[Tuple[int, int]], bool],
) -> None:
    found, hints, expect_kelurahan = case
    matches = GAZETTEER.find(found, hints=hints, expect_kelurahan=expect_kelurahan)
    starts = {w.start for w in found}
    ends = {w.end for w in found}
    for match in matches:
        area = WILAYAH.by_name(match.name)
        assert area is not None and (area.name, area.code) == (match.name, match.code)
        assert match.start in starts and match.end in ends and match.start < match.end
        assert 0 <= match.distance <= 2
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))


@PROPERTY
@given(
    st.lists(
        st.builds(Word, st.one_of(word, st.sampled_from(ODD)), st.integers(), st.integers()),
        max_size=12,
    )
)
def test_gazetteer_takes_any_words_without_failing(found: List[Word]) -> None:
    """Words whose offsets are not a text's (another tokenizer's, say) do not crash it."""
    for match in GAZETTEER.find(found, expect_kelurahan=True):
        assert WILAYAH.by_name(match.name) is not None


@PROPERTY
@given(any_text)
@example("Surabaya")
@example("")
def test_name_and_code_lookups_find_only_real_kelurahan(text: str) -> None:
    area = WILAYAH.by_name(text)
    assert area is None or fold(area.name) == fold(text)
    area = WILAYAH.by_code(text)
    assert area is None or area.code == text


not_alnum = st.characters(exclude_categories=("Cs",)).filter(
    lambda ch: not ch.isalnum() and not ch.lower().isalnum()
)


@PROPERTY
@given(st.sampled_from(KELURAHAN), st.lists(st.text(not_alnum, max_size=3)), st.data())
def test_a_name_is_found_in_any_case_and_with_any_punctuation(
    name: str, noise: List[str], data: st.DataObject
) -> None:
    letters = [
        data.draw(st.sampled_from([ch.lower(), ch.upper()])) if ch.isascii() else ch for ch in name
    ]
    typed = "".join(ch + (noise[i % len(noise)] if noise else "") for i, ch in enumerate(letters))
    area = WILAYAH.by_name(typed)
    assert area is not None and area.name == name

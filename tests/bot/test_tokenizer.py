from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.components.tokenizer import IndonesianTokenizer
from lapor.normalize import load_lexicon, normalize_word


def tokens(text: str) -> list[tuple[str, int, str]]:
    tokenizer = IndonesianTokenizer(IndonesianTokenizer.get_default_config())
    return [
        (t.text, t.start, t.lemma) for t in tokenizer.tokenize(Message(data={"text": text}), "text")
    ]


def test_keeps_offsets_and_normalises_in_the_lemma() -> None:
    assert tokens("lampune mati nang jl. dhoho") == [
        ("lampune", 0, "lampu"),
        ("mati", 8, "mati"),
        ("nang", 13, "di"),
        ("jl", 18, "jalan"),
        ("dhoho", 22, "dhoho"),
    ]


def test_splits_glued_abbreviations_but_not_numbers_or_tickets() -> None:
    assert [t[0] for t in tokens("kel.bandarlor rt.02/rw.05 3.5 KDR-2026-000123")] == [
        "kel",
        "bandarlor",
        "rt",
        "02",
        "rw",
        "05",
        "3.5",
        "KDR",
        "2026",
        "000123",
    ]


def test_keeps_emphasis_and_emoji_drops_lone_punctuation() -> None:
    assert tokens("tolonggg!!! 🔥, ok") == [
        ("tolonggg", 0, "tolong"),
        ("!", 8, "!"),
        ("!", 9, "!"),
        ("!", 10, "!"),
        ("🔥", 12, "🔥"),
        ("ok", 15, "ok"),
    ]


def test_normalise_word() -> None:
    lexicon = load_lexicon()
    assert normalize_word("GAK", lexicon) == "tidak"
    assert normalize_word("anak2", lexicon) == "anak"
    assert normalize_word("banjirrr", lexicon) == "banjir"
    assert normalize_word("000123", lexicon) == "000123"  # digits are not emphasis


def test_the_stemmed_lemma_joins_roots_and_affixed_words() -> None:
    config = {**IndonesianTokenizer.get_default_config(), "stem": True}
    tokenizer = IndonesianTokenizer(config)
    message = Message(data={"text": "bantuan dipotong, pemotongan lampune 17 🙏"})
    got = [(t.text, t.lemma) for t in tokenizer.tokenize(message, "text")]
    assert got == [
        ("bantuan", "bantu"),
        ("dipotong", "potong"),
        ("pemotongan", "potong"),
        ("lampune", "lampu"),  # slang first (lampune -> lampu), then the stem
        ("17", "17"),
        ("🙏", "🙏"),  # what the stemmer would drop keeps its own form
    ]

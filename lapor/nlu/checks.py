"""Whether an editor's change keeps the training data sound, and applying it if so.

Every rule that keeps the training data sound lives here, so it is enforced in one
place and tested once. The problems are stable codes for the console plus messages
in the editors' language (Indonesian).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Collection, List, Optional, Sequence

from ruamel.yaml import YAML

from lapor.nlu.examples import KNOWN_ENTITIES, Example, Span, normalise, parse_example
from lapor.nlu.files import INTENT_NAME, LINE_PREFIX, NluData, is_line
from lapor.paths import REPO_ROOT
from lapor.wilayah import default_wilayah

MAX_CHARS = 1000
MIN_EXAMPLES = 20
# Intents that route citizens to a service or to 112: too few examples and the
# model stops recognising them.
GUARDED_PREFIXES = ("report_", "emergency_")


@dataclass(frozen=True)
class Change:
    """One edit: add (index None), replace (both set) or delete (example None)."""

    intent: str
    index: Optional[int] = None
    example: Optional[Example] = None

    @property
    def kind(self) -> str:
        if self.index is None:
            return "add" if self.example is not None else "invalid"
        return "replace" if self.example is not None else "delete"


@dataclass(frozen=True)
class Problem:
    """Why a change is refused: a stable code for the console, a message for the editor."""

    code: str
    message: str


def default_heldout() -> List[Path]:
    """The held-out and outcome sets that training data must never copy."""
    folder = REPO_ROOT / "tests" / "nlu"
    return sorted([*folder.glob("heldout*.yml"), *folder.glob("outcome_*.yml")])


def validate(
    data: NluData,
    change: Change,
    heldout: Sequence[Path],
    min_examples: int = MIN_EXAMPLES,
    entities: Collection[str] = KNOWN_ENTITIES,
) -> List[Problem]:
    """Everything wrong with the change, in the editor's language; empty when sound."""
    kind = change.kind
    if kind == "invalid":
        return [Problem("invalid_change", "Perubahan tidak lengkap: kalimat contoh belum diisi.")]
    problems = _check_target(data, change)
    if problems:
        return problems
    if kind == "delete":
        return _check_count(data, change.intent, min_examples)
    assert change.example is not None
    example = change.example
    problems = _check_text(example.text)
    if problems:
        return problems
    problems = _check_spans(example, entities)
    if not problems and parse_example(_safe_annotated(example)) != example:
        problems.append(
            Problem(
                "bad_markup",
                "Kalimat berisi tanda kurung siku yang terbaca sebagai penanda entitas; "
                "hapus tanda [ ] dari kalimat.",
            )
        )
    problems += _check_duplicate(data, change)
    problems += _check_heldout(example.text, heldout)
    return problems


def apply(
    data: NluData,
    change: Change,
    heldout: Sequence[Path],
    min_examples: int = MIN_EXAMPLES,
    entities: Collection[str] = KNOWN_ENTITIES,
) -> List[Problem]:
    """Validate, then apply only a sound change (in memory; save() writes it)."""
    problems = validate(data, change, heldout, min_examples, entities)
    if problems:
        return problems
    if change.kind == "add":
        assert change.example is not None
        data.add(change.intent, change.example)
    elif change.kind == "replace":
        assert change.example is not None and change.index is not None
        data.replace(change.intent, change.index, change.example)
    else:
        assert change.index is not None
        data.delete(change.intent, change.index)
    return []


def _check_target(data: NluData, change: Change) -> List[Problem]:
    intent = change.intent
    if intent in data.blocks:
        count = len(data.blocks[intent].examples)
        if change.index is not None and not 0 <= change.index < count:
            return [
                Problem(
                    "not_found",
                    f'Contoh ke-{change.index + 1} tidak ada di intent "{intent}" '
                    f"(ada {count} contoh).",
                )
            ]
        return []
    if change.kind != "add":
        return [Problem("not_found", f'Intent "{intent}" tidak ada.')]
    path = data.path_of(intent)
    if not INTENT_NAME.fullmatch(intent) or path.exists():
        return [
            Problem(
                "bad_intent",
                f'Nama intent "{intent}" tidak bisa dipakai: gunakan huruf kecil, angka dan '
                "garis bawah, diawali huruf, dan bukan nama berkas yang sudah ada.",
            )
        ]
    return []


def _check_count(data: NluData, intent: str, min_examples: int) -> List[Problem]:
    left = len(data.blocks[intent].examples) - 1
    if intent.startswith(GUARDED_PREFIXES) and left < min_examples:
        return [
            Problem(
                "too_few",
                f'Intent "{intent}" akan tinggal {left} contoh; minimal {min_examples}.',
            )
        ]
    return []


def _check_text(text: str) -> List[Problem]:
    if not text.strip():
        return [Problem("empty", "Kalimat contoh masih kosong.")]
    problems = []
    if len(text) > MAX_CHARS:
        problems.append(
            Problem("too_long", f"Kalimat ini {len(text)} karakter; maksimal {MAX_CHARS}.")
        )
    if "\n" in text or "\r" in text:
        problems.append(
            Problem("multiline", "Kalimat contoh harus satu baris: hapus ganti barisnya.")
        )
    if text != text.strip():
        problems.append(Problem("untrimmed", "Hapus spasi di awal atau di akhir kalimat contoh."))
    return problems


def _check_spans(example: Example, entities: Collection[str]) -> List[Problem]:
    problems: List[Problem] = []
    length = len(example.text)
    fitting: List[Span] = []
    for span in example.spans:
        if span.start >= span.end:
            problems.append(
                Problem(
                    "span_mismatch",
                    f'Penanda "{span.entity}" kosong: awal (karakter {span.start}) harus '
                    f"sebelum akhir (karakter {span.end}).",
                )
            )
        elif span.start < 0 or span.end > length:
            problems.append(
                Problem(
                    "span_mismatch",
                    f'Penanda "{span.entity}" (karakter {span.start}-{span.end}) berada di '
                    f"luar kalimat yang panjangnya {length} karakter.",
                )
            )
        else:
            fitting.append(span)
    fitting.sort(key=lambda s: (s.start, s.end))
    reach: Optional[Span] = None  # the span reaching furthest right so far
    for after in fitting:
        before, reach = reach, after if reach is None or after.end > reach.end else reach
        if before is not None and after.start < before.end:
            problems.append(
                Problem(
                    "span_mismatch",
                    f'Penanda "{before.entity}" ("{example.covered(before)}") bertumpang tindih '
                    f'dengan penanda "{after.entity}" ("{example.covered(after)}").',
                )
            )
    for span in example.spans:
        if span.entity not in entities:
            problems.append(
                Problem(
                    "unknown_entity",
                    f'Jenis entitas "{span.entity}" tidak dikenal; yang boleh: '
                    f"{', '.join(entities)}.",
                )
            )
    for span in fitting:
        if span.entity == "kelurahan":
            problems += _check_kelurahan(example.value_of(span))
    return problems


def _check_kelurahan(value: str) -> List[Problem]:
    wilayah = default_wilayah()
    area = wilayah.by_name(value)
    if area is None:
        return [
            Problem(
                "unknown_kelurahan",
                f'Nama kelurahan "{value}" tidak ada di daftar {len(wilayah.kelurahan)} '
                "kelurahan Kota Kediri.",
            )
        ]
    if area.name != value:
        # by_name ignores case and spaces; the labelling rule wants the official name.
        return [
            Problem(
                "kelurahan_value",
                f'Nilai kelurahan "{value}" harus ditulis dengan nama resmi: "{area.name}".',
            )
        ]
    return []


def _check_duplicate(data: NluData, change: Change) -> List[Problem]:
    assert change.example is not None
    wanted = normalise(change.example.text)
    if change.kind == "replace":
        assert change.index is not None
        old = data.blocks[change.intent].examples[change.index]
        if normalise(old.text) == wanted:
            return []  # only the labels change: any older duplicate is not this edit's
    for intent, index, example in data.all_examples():
        if (intent, index) == (change.intent, change.index):
            continue
        if normalise(example.text) == wanted:
            return [
                Problem(
                    "duplicate",
                    f'Kalimat ini sudah ada di intent "{intent}" (contoh ke-{index + 1}).',
                )
            ]
    return []


def _check_heldout(text: str, heldout: Sequence[Path]) -> List[Problem]:
    wanted = normalise(text)
    for path in heldout:
        if wanted in _heldout_texts(path.resolve(), path.stat().st_mtime_ns):
            return [
                Problem(
                    "heldout_copy",
                    f"Kalimat ini ada di data uji ({_shown(path)}): data uji tidak boleh "
                    "disalin ke data latihan.",
                )
            ]
    return []


@lru_cache(maxsize=32)
def _heldout_texts(path: Path, mtime_ns: int) -> frozenset[str]:
    """Normalised sentences of one held-out file (labelled or plain); cached per version."""
    document = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    texts = set()
    for item in document.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if is_line(line):
                try:
                    plain = parse_example(line[len(LINE_PREFIX) :]).text
                except ValueError:
                    plain = line[len(LINE_PREFIX) :]
                texts.add(normalise(plain))
    return frozenset(texts)


def _shown(path: Path) -> str:
    """The file as the editors know it (tests/nlu/heldout_b.yml), wherever the working copy is."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return Path(*path.parts[-3:]).as_posix()


def _safe_annotated(example: Example) -> str:
    try:
        return example.annotated()
    except ValueError:
        return example.text

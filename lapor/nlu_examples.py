"""NLU training examples as content editors see them: read, search, check, change, save.

The web console for Diskominfo's editors edits `data/nlu/<intent>.yml` through this
module, so every rule that keeps the training data sound lives in one place and is
tested once. It stays pure Python (ruamel.yaml and lapor.* only): the console must
not pull in Rasa, and the files must keep their exact bytes where nothing changed,
so reviews of the editors' commits show only what they changed.
"""

from __future__ import annotations

import difflib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Collection, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from lapor.paths import REPO_ROOT
from lapor.wilayah import default_wilayah

# The entities of docs/nlu.md, "Labelling rule (entities)".
KNOWN_ENTITIES: Tuple[str, ...] = (
    "location",
    "kelurahan",
    "rt_rw",
    "programme",
    "facility",
    "customer_number",
    "pole_number",
    "ticket_id",
)
MAX_CHARS = 1000
MIN_EXAMPLES = 20
# Intents that route citizens to a service or to 112: too few examples and the
# model stops recognising them.
GUARDED_PREFIXES = ("report_", "emergency_")
NLU_VERSION = "3.1"
LINE_PREFIX = "- "
# Intent names become file names and Rasa identifiers.
_INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Rasa's own annotation syntax (rasa/shared/nlu/training_data/entities_parser.py),
# without the list-of-dicts form that the labelling rule never uses.
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)|\{(?P<json>[^}]+?)\})"
)


@dataclass(frozen=True)
class Span:
    """One labelled entity: characters [start, end) of the example's plain text.

    `value` is set only when it differs from the covered text. `long_form` records
    that the annotation is written as `{"entity": ..., "value": ...}` even so: the
    labelling rule writes every kelurahan that way, and files must round-trip.
    """

    entity: str
    start: int
    end: int
    value: Optional[str] = None
    long_form: bool = False  # meaningful only without a value


@dataclass(frozen=True)
class Example:
    """A training sentence as plain text plus its entity spans."""

    text: str
    spans: Tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        # One representation per annotation, so equal lines give equal examples: a
        # value equal to the covered text is dropped, and long_form only means
        # something without a value (parse_example sets it for the written form).
        object.__setattr__(self, "spans", tuple(self._canonical(s) for s in self.spans))

    def _canonical(self, span: Span) -> Span:
        if span.value is None:
            return span
        if span.value == self.text[span.start : span.end]:
            return replace(span, value=None)
        return replace(span, long_form=False)

    def covered(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def value_of(self, span: Span) -> str:
        """The entity value Rasa learns: the explicit value, else the covered text."""
        return span.value if span.value is not None else self.covered(span)

    def annotated(self) -> str:
        """The line as written in the training file (inverse of parse_example)."""
        out: List[str] = []
        position = 0
        for span in sorted(self.spans, key=lambda s: s.start):
            if span.start < position or span.start >= span.end or span.end > len(self.text):
                raise ValueError(f"span {span} does not fit in {self.text!r}")
            out.append(self.text[position : span.start])
            covered = self.covered(span)
            if span.value is None and not span.long_form:
                out.append(f"[{covered}]({span.entity})")
            else:
                labels = {"entity": span.entity, "value": self.value_of(span)}
                out.append(f"[{covered}]{json.dumps(labels, ensure_ascii=False)}")
            position = span.end
        out.append(self.text[position:])
        return "".join(out)


def parse_example(annotated: str) -> Example:
    """Split an annotated training line into plain text and spans.

    Raises ValueError for annotations this module cannot write back unchanged
    (roles, groups): editing such a line would silently drop them. Rasa's old
    `[text](entity:value)` form is read but written back as `{"entity": ...}`;
    today's data has none.
    """
    text: List[str] = []
    spans: List[Span] = []
    length = 0
    position = 0
    for match in _ANNOTATION.finditer(annotated):
        before = annotated[position : match.start()]
        text.append(before)
        length += len(before)
        covered = match.group("text")
        entity, value, long_form = _labels(match)
        spans.append(Span(entity, length, length + len(covered), value, long_form))
        text.append(covered)
        length += len(covered)
        position = match.end()
    text.append(annotated[position:])
    return Example("".join(text), tuple(spans))


def _labels(match: re.Match[str]) -> Tuple[str, Optional[str], bool]:
    if match.group("json") is None:
        return match.group("entity"), match.group("value"), False
    try:
        labels = json.loads("{" + match.group("json") + "}")
    except json.JSONDecodeError as error:
        raise ValueError(f"unreadable entity annotation {match.group(0)!r}") from error
    if not isinstance(labels, dict) or set(labels) - {"entity", "value"} or "entity" not in labels:
        raise ValueError(f"unsupported entity annotation {match.group(0)!r}")
    value = labels.get("value")
    return str(labels["entity"]), None if value is None else str(value), True


def normalise(text: str) -> str:
    """Lower case, single spaces, no punctuation at either end: what makes two
    sentences "the same" for the model and for the editors.

    A message of punctuation only ("?", "..", "?!": prank examples) keeps its
    punctuation, or all of them would be one and the same empty text.
    """
    folded = " ".join(text.lower().split())
    start, end = 0, len(folded)
    while start < end and _is_edge_noise(folded[start]):
        start += 1
    while end > start and _is_edge_noise(folded[end - 1]):
        end -= 1
    return folded[start:end] or folded


def _is_edge_noise(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


# --- The data -------------------------------------------------------------------


def _yaml() -> YAML:
    """The round-trip settings under which today's files come back byte-identical."""
    yaml = YAML()
    yaml.preserve_quotes = True  # type: ignore[assignment]  # typed None in ruamel
    yaml.width = 4096  # type: ignore[assignment]
    return yaml


@dataclass
class _Block:
    """One `- intent:` block: its file, its mapping and its example lines verbatim.

    Lines that are not examples (none today) keep their place, and lines nobody
    edited are written back as they were read, even if they would render differently.
    """

    path: Path
    mapping: CommentedMap
    lines: List[str]
    examples: List[Example]
    trailing_newline: bool

    def line_numbers(self) -> List[int]:
        return [i for i, line in enumerate(self.lines) if _is_line(line)]


@dataclass
class NluData:
    """The training examples of one folder, editable in memory and saved in place."""

    folder: Path
    _blocks: Dict[str, _Block] = field(default_factory=dict)
    _documents: Dict[Path, Any] = field(default_factory=dict)
    _changed: Set[Path] = field(default_factory=set)
    _version: int = 0
    _index_cache: Optional[Tuple[int, _TokenIndex]] = None

    @classmethod
    def load(cls, folder: Path) -> NluData:
        """Every `- intent:` block of every `*.yml` in the folder (regex.yml has none)."""
        data = cls(folder)
        yaml = _yaml()
        for path in sorted(folder.glob("*.yml")):
            document = yaml.load(path.read_text(encoding="utf-8"))
            items = document.get("nlu") if isinstance(document, dict) else None
            if not isinstance(items, list):
                continue
            data._documents[path] = document
            for item in items:
                if isinstance(item, CommentedMap) and "intent" in item:
                    data._add_block(path, item)
        return data

    def _add_block(self, path: Path, mapping: CommentedMap) -> None:
        intent = str(mapping["intent"])
        if intent in self._blocks:
            raise ValueError(f"{path}: intent {intent!r} also in {self._blocks[intent].path}")
        raw = str(mapping.get("examples") or "")
        lines = raw.splitlines()
        examples = [parse_example(line[len(LINE_PREFIX) :]) for line in lines if _is_line(line)]
        self._blocks[intent] = _Block(path, mapping, lines, examples, raw.endswith("\n"))

    def intents(self) -> Dict[str, List[Example]]:
        """Intent -> its examples in file order (copies: change them through add etc.)."""
        return {intent: list(block.examples) for intent, block in self._blocks.items()}

    def examples(self, intent: str) -> List[Example]:
        block = self._blocks.get(intent)
        return list(block.examples) if block else []

    def path_of(self, intent: str) -> Path:
        """The file that holds (or will hold) the intent."""
        block = self._blocks.get(intent)
        return block.path if block else self.folder / f"{intent}.yml"

    def all_examples(self) -> Iterator[Tuple[str, int, Example]]:
        for intent, block in self._blocks.items():
            for index, example in enumerate(block.examples):
                yield intent, index, example

    def search(self, query: str) -> List[Tuple[str, int, Example]]:
        """Examples whose plain text contains the query, ignoring case."""
        wanted = query.casefold()
        return [hit for hit in self.all_examples() if wanted in hit[2].text.casefold()]

    def add(self, intent: str, example: Example) -> None:
        """Append an example; an unknown intent gets its own new file on save."""
        block = self._blocks.get(intent)
        if block is None:
            block = self._new_block(intent)
        block.lines.append(LINE_PREFIX + example.annotated())
        block.examples.append(example)
        self._touch(block)

    def replace(self, intent: str, index: int, example: Example) -> None:
        block = self._block(intent, index)
        block.lines[block.line_numbers()[index]] = LINE_PREFIX + example.annotated()
        block.examples[index] = example
        self._touch(block)

    def delete(self, intent: str, index: int) -> None:
        block = self._block(intent, index)
        del block.lines[block.line_numbers()[index]]
        del block.examples[index]
        self._touch(block)

    def save(self) -> List[Path]:
        """Write the changed files only; returns them. Untouched bytes stay untouched."""
        written = sorted(self._changed)
        for path in written:
            self._write(path)
        self._changed.clear()
        return written

    def _write(self, path: Path) -> None:
        for block in self._blocks.values():
            if block.path == path:
                body = "\n".join(block.lines) + ("\n" if block.trailing_newline else "")
                block.mapping["examples"] = LiteralScalarString(body)
        stream = io.StringIO()
        _yaml().dump(self._documents[path], stream)
        path.write_text(stream.getvalue(), encoding="utf-8")

    def _new_block(self, intent: str) -> _Block:
        path = self.folder / f"{intent}.yml"
        if not _INTENT_NAME.fullmatch(intent) or path in self._documents or path.exists():
            raise ValueError(f"cannot create intent {intent!r} as {path}")
        mapping = CommentedMap([("intent", intent), ("examples", LiteralScalarString(""))])
        document = CommentedMap(
            [("version", DoubleQuotedScalarString(NLU_VERSION)), ("nlu", CommentedSeq([mapping]))]
        )
        self._documents[path] = document
        block = _Block(path, mapping, [], [], True)
        self._blocks[intent] = block
        return block

    def _block(self, intent: str, index: int) -> _Block:
        block = self._blocks.get(intent)
        if block is None or not 0 <= index < len(block.examples):
            raise IndexError(f"no example {index} in intent {intent!r}")
        return block

    def _touch(self, block: _Block) -> None:
        self._changed.add(block.path)
        self._version += 1

    def _token_index(self) -> _TokenIndex:
        if self._index_cache is None or self._index_cache[0] != self._version:
            self._index_cache = (self._version, _TokenIndex.build(self.all_examples()))
        return self._index_cache[1]


def _is_line(line: str) -> bool:
    return line.startswith(LINE_PREFIX)


# --- Checking a change ------------------------------------------------------------


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
    if intent in data._blocks:
        count = len(data._blocks[intent].examples)
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
    if not _INTENT_NAME.fullmatch(intent) or path.exists():
        return [
            Problem(
                "bad_intent",
                f'Nama intent "{intent}" tidak bisa dipakai: gunakan huruf kecil, angka dan '
                "garis bawah, diawali huruf, dan bukan nama berkas yang sudah ada.",
            )
        ]
    return []


def _check_count(data: NluData, intent: str, min_examples: int) -> List[Problem]:
    left = len(data._blocks[intent].examples) - 1
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
        old = data._blocks[change.intent].examples[change.index]
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
            if _is_line(line):
                try:
                    plain = parse_example(line[len(LINE_PREFIX) :]).text
                except ValueError:
                    plain = line[len(LINE_PREFIX) :]
                texts.add(normalise(plain))
    return frozenset(texts)


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def _safe_annotated(example: Example) -> str:
    try:
        return example.annotated()
    except ValueError:
        return example.text


# --- Near duplicates --------------------------------------------------------------


@dataclass
class _TokenIndex:
    """Normalised texts and token -> examples, so a query compares only with examples
    that share a word instead of with all ~3000."""

    texts: Dict[Tuple[str, int], str]
    postings: Dict[str, List[Tuple[str, int]]]

    @classmethod
    def build(cls, examples: Iterator[Tuple[str, int, Example]]) -> _TokenIndex:
        texts: Dict[Tuple[str, int], str] = {}
        postings: Dict[str, List[Tuple[str, int]]] = {}
        for intent, index, example in examples:
            text = normalise(example.text)
            texts[(intent, index)] = text
            for token in set(text.split()):
                postings.setdefault(token, []).append((intent, index))
        return cls(texts, postings)


def near_duplicates(
    data: NluData, text: str, threshold: float = 0.85
) -> List[Tuple[str, int, float]]:
    """Examples whose normalised text is at least `threshold` similar (difflib ratio),
    most similar first: candidates for the editors' inbox, not refusals.

    Only examples sharing at least one word with the text are compared, which keeps
    a query over ~3000 examples in milliseconds; a pure respelling that shares no
    word at all ("lmpu jln mti" against "lampu jalan mati") is not found.
    """
    wanted = normalise(text)
    if not wanted:
        return []
    index = data._token_index()
    candidates = {key for token in set(wanted.split()) for key in index.postings.get(token, ())}
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(wanted)
    hits = []
    for key in candidates:
        other = index.texts[key]
        # ratio <= 2*min/(len sum): skip by length before the costly comparison.
        if 2 * min(len(other), len(wanted)) < threshold * (len(other) + len(wanted)):
            continue
        matcher.set_seq1(other)
        if matcher.quick_ratio() < threshold:
            continue
        similarity = matcher.ratio()
        if similarity >= threshold:
            hits.append((key[0], key[1], round(similarity, 4)))
    return sorted(hits, key=lambda hit: (-hit[2], hit[0], hit[1]))

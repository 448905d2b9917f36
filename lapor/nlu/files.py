"""The training files of data/nlu, read and written in place with ruamel.yaml.

The files must keep their exact bytes where nothing changed, so reviews of the
editors' commits show only what they changed: they are read and written round-trip,
and each example line nobody edited is written back exactly as it was read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from lapor.nlu.examples import Example, parse_example
from lapor.nlu.similar import TokenIndex

NLU_VERSION = "3.1"
LINE_PREFIX = "- "
# Intent names become file names and Rasa identifiers.
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


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
        return [i for i, line in enumerate(self.lines) if is_line(line)]


@dataclass
class NluData:
    """The training examples of one folder, editable in memory and saved in place."""

    folder: Path
    blocks: Dict[str, _Block] = field(default_factory=dict)
    _documents: Dict[Path, Any] = field(default_factory=dict)
    _changed: Set[Path] = field(default_factory=set)
    _version: int = 0
    _index_cache: Optional[Tuple[int, TokenIndex]] = None

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
        if intent in self.blocks:
            raise ValueError(f"{path}: intent {intent!r} also in {self.blocks[intent].path}")
        raw = str(mapping.get("examples") or "")
        lines = raw.splitlines()
        examples = [parse_example(line[len(LINE_PREFIX) :]) for line in lines if is_line(line)]
        self.blocks[intent] = _Block(path, mapping, lines, examples, raw.endswith("\n"))

    def intents(self) -> Dict[str, List[Example]]:
        """Intent -> its examples in file order (copies: change them through add etc.)."""
        return {intent: list(block.examples) for intent, block in self.blocks.items()}

    def examples(self, intent: str) -> List[Example]:
        block = self.blocks.get(intent)
        return list(block.examples) if block else []

    def path_of(self, intent: str) -> Path:
        """The file that holds (or will hold) the intent."""
        block = self.blocks.get(intent)
        return block.path if block else self.folder / f"{intent}.yml"

    def all_examples(self) -> Iterator[Tuple[str, int, Example]]:
        for intent, block in self.blocks.items():
            for index, example in enumerate(block.examples):
                yield intent, index, example

    def search(self, query: str) -> List[Tuple[str, int, Example]]:
        """Examples whose plain text contains the query, ignoring case."""
        wanted = query.casefold()
        return [hit for hit in self.all_examples() if wanted in hit[2].text.casefold()]

    def add(self, intent: str, example: Example) -> None:
        """Append an example; an unknown intent gets its own new file on save."""
        block = self.blocks.get(intent)
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
        for block in self.blocks.values():
            if block.path == path:
                body = "\n".join(block.lines) + ("\n" if block.trailing_newline else "")
                block.mapping["examples"] = LiteralScalarString(body)
        stream = io.StringIO()
        _yaml().dump(self._documents[path], stream)
        path.write_text(stream.getvalue(), encoding="utf-8")

    def _new_block(self, intent: str) -> _Block:
        path = self.folder / f"{intent}.yml"
        if not INTENT_NAME.fullmatch(intent) or path in self._documents or path.exists():
            raise ValueError(f"cannot create intent {intent!r} as {path}")
        mapping = CommentedMap([("intent", intent), ("examples", LiteralScalarString(""))])
        document = CommentedMap(
            [("version", DoubleQuotedScalarString(NLU_VERSION)), ("nlu", CommentedSeq([mapping]))]
        )
        self._documents[path] = document
        block = _Block(path, mapping, [], [], True)
        self.blocks[intent] = block
        return block

    def _block(self, intent: str, index: int) -> _Block:
        block = self.blocks.get(intent)
        if block is None or not 0 <= index < len(block.examples):
            raise IndexError(f"no example {index} in intent {intent!r}")
        return block

    def _touch(self, block: _Block) -> None:
        self._changed.add(block.path)
        self._version += 1

    def token_index(self) -> TokenIndex:
        """The index of near_duplicates (lapor.nlu.similar), rebuilt after a change."""
        if self._index_cache is None or self._index_cache[0] != self._version:
            self._index_cache = (self._version, TokenIndex.build(self.all_examples()))
        return self._index_cache[1]


def is_line(line: str) -> bool:
    return line.startswith(LINE_PREFIX)

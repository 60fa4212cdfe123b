"""The pattern memory: every problem seen, normalised, with the fixes tried and which worked.

Patterns are stored by two signatures of the failing block: the *key* abstracts labels and
memory names (the same mistake in other names), the *shape* also abstracts literals (a
similar mistake). A worked fix for the same key is reused without asking a model; fixes for
similar shapes become few-shot examples, found by difflib's sequence similarity.

The store is SQLite (standard library) in the user's data directory: WAL journaling and a busy
timeout make two editor windows safe at once, and a transaction per write keeps a crash from
leaving half a record. A file that is not a readable database is moved aside with a warning,
never silently dropped.
"""

from __future__ import annotations

import difflib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..lang.lexer import IDENTIFIER, Kind, lex_line, string_literal
from ..lang.opcodes import JUMPS, OPCODES

LOG = logging.getLogger("sovereign.evolve")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS patterns (
    id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, shape TEXT NOT NULL,
    category TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fixes (
    id INTEGER PRIMARY KEY, pattern INTEGER NOT NULL REFERENCES patterns(id),
    before TEXT NOT NULL, after TEXT NOT NULL, model TEXT NOT NULL,
    worked INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '', created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS fixes_by_pattern ON fixes(pattern);
"""


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sovereign" / "evolve.sqlite3"


@dataclass(frozen=True)
class Normalised:
    """A block with its labels and memory names replaced by L1, L2, ... and N1, N2, ...
    (`key`), and its literals too (`shape`); `names` maps each original to its placeholder."""

    key: str
    shape: str
    names: dict[str, str]

    def abstract(self, text: str) -> str:
        """`text` (a fix) written with this block's placeholders."""
        return rename(text, self.names)

    def restore(self, text: str) -> str:
        """`text` written with placeholders, with this block's names put back."""
        return rename(text, {placeholder: name for name, placeholder in self.names.items()})


def rename(text: str, mapping: dict[str, str]) -> str:
    """`text` with the labels and memory names in `mapping` renamed, nothing else touched."""
    lines = []
    for number, original in enumerate(text.split("\n")):
        line = lex_line(number, original)
        edits = []
        if line.label is not None and line.label.text in mapping:
            edits.append((line.label.col, line.label.end, mapping[line.label.text]))
        if len(line.tokens) == 2:
            opcode, operand = line.tokens[0].text.upper(), line.tokens[1]
            named = opcode in JUMPS or opcode in ("LOAD", "STORE")
            if named and operand.value in mapping:
                new = mapping[operand.value]
                written = string_literal(new) if operand.kind is Kind.STRING else new
                edits.append((operand.col, operand.end, written))
        for col, end, new in sorted(edits, reverse=True):
            original = original[:col] + new + original[end:]
        lines.append(original)
    return "\n".join(lines)


def normalise(block: str) -> Normalised:
    names: dict[str, str] = {}
    keyed: list[str] = []
    shaped: list[str] = []
    for text in block.split("\n"):
        line = lex_line(0, text)
        key_parts: list[str] = []
        shape_parts: list[str] = []
        if line.label is not None:
            key_parts.append(_placeholder(names, line.label.text, "L") + ":")
        for position, token in enumerate(line.tokens):
            word = token.text.upper() if position == 0 else token.text
            if position == 0 and word in OPCODES:
                key_parts.append(word)
                shape_parts.append(word)
                continue
            opcode = line.tokens[0].text.upper()
            if opcode in JUMPS and IDENTIFIER.fullmatch(token.text):
                placeholder = _placeholder(names, token.text, "L")
            elif opcode in ("LOAD", "STORE"):
                placeholder = _placeholder(names, token.value, "N")
            else:
                placeholder = token.text
                shape_parts.append("#" if token.text.startswith("#") else
                                   '"' if token.kind is Kind.STRING else token.text)
                key_parts.append(placeholder)
                continue
            key_parts.append(placeholder)
            shape_parts.append(placeholder)
        if key_parts:
            keyed.append(" ".join(key_parts))
            shaped.append(" ".join(shape_parts) if shape_parts else key_parts[0])
    return Normalised("\n".join(keyed), "\n".join(shaped), names)


def _placeholder(names: dict[str, str], name: str, prefix: str) -> str:
    if name not in names:
        names[name] = f"{prefix}{sum(1 for p in names.values() if p[0] == prefix) + 1}"
    return names[name]


@dataclass(frozen=True)
class Fix:
    pattern: int
    before: str
    after: str
    """Written with the pattern's placeholders, so it applies to the same mistake in other
    names."""
    model: str
    worked: bool
    reason: str


@dataclass(frozen=True)
class Pattern:
    id: int
    key: str
    shape: str
    category: str
    seen: int


class PatternMemory:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            self.path.replace(aside)
            LOG.warning("the evolution memory %s could not be read (%s): moved it to %s and "
                        "started a new one", self.path, error, aside)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(_SCHEMA)
        db.execute("SELECT count(*) FROM patterns").fetchone()
        return db

    def close(self) -> None:
        self.db.close()

    def remember(self, normalised: Normalised, category: str) -> int:
        """The pattern's id, counting one more sighting."""
        with self._write():
            self.db.execute(
                "INSERT INTO patterns (key, shape, category, seen, created) VALUES (?, ?, ?, 1, "
                "?) ON CONFLICT(key) DO UPDATE SET seen = seen + 1",
                (normalised.key, normalised.shape, category, time.time()))
            row = self.db.execute("SELECT id FROM patterns WHERE key = ?",
                                  (normalised.key,)).fetchone()
        return int(row[0])

    def record(self, pattern: int, before: str, after: str, model: str, worked: bool,
               reason: str = "") -> None:
        with self._write():
            self.db.execute(
                "INSERT INTO fixes (pattern, before, after, model, worked, reason, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (pattern, before, after, model, int(worked), reason, time.time()))

    def fixes(self, pattern: int) -> list[Fix]:
        """The fixes that worked for a pattern, the most recent first."""
        rows = self.db.execute(
            "SELECT pattern, before, after, model, worked, reason FROM fixes WHERE pattern = ? "
            "AND worked = 1 ORDER BY created DESC", (pattern,)).fetchall()
        return [Fix(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]

    def similar(self, normalised: Normalised, category: str, limit: int = 3) -> list[Fix]:
        """Worked fixes of the most similar other patterns of the same category."""
        rows = self.db.execute(
            "SELECT id, shape FROM patterns WHERE category = ? AND key != ? ORDER BY id DESC "
            "LIMIT 500", (category, normalised.key)).fetchall()
        scored = sorted(((difflib.SequenceMatcher(None, normalised.shape, shape).ratio(), id_)
                         for id_, shape in rows), reverse=True)
        found: list[Fix] = []
        for score, id_ in scored:
            if score < 0.5 or len(found) >= limit:
                break
            found += self.fixes(id_)[:1]
        return found

    def learnt(self, category: str) -> dict[str, int]:
        """How many search repairs of each kind of edit worked for this kind of error."""
        rows = self.db.execute(
            "SELECT f.model, count(*) FROM fixes f JOIN patterns p ON p.id = f.pattern "
            "WHERE p.category = ? AND f.worked = 1 AND f.model LIKE 'search:%' "
            "GROUP BY f.model", (category,)).fetchall()
        counts: dict[str, int] = {}
        for model, times in rows:
            for kind in model.removeprefix("search:").split("+"):
                counts[kind] = counts.get(kind, 0) + times
        return counts

    def success_rate(self, pattern: int) -> float:
        worked, tried = self.db.execute(
            "SELECT coalesce(sum(worked), 0), count(*) FROM fixes WHERE pattern = ?",
            (pattern,)).fetchone()
        return worked / tried if tried else 0.0

    def history(self) -> list[tuple[Pattern, int, int]]:
        """Every pattern with how many of its fixes worked and how many were tried."""
        rows = self.db.execute(
            "SELECT p.id, p.key, p.shape, p.category, p.seen, coalesce(sum(f.worked), 0), "
            "count(f.id) FROM patterns p LEFT JOIN fixes f ON f.pattern = p.id GROUP BY p.id "
            "ORDER BY p.seen DESC, p.id").fetchall()
        return [(Pattern(r[0], r[1], r[2], r[3], r[4]), r[5], r[6]) for r in rows]

    def _write(self) -> _Transaction:
        """A transaction: everything in it is written, or nothing (a crash mid-write)."""
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")

"""What each model has been measured to do, kept across runs in a small SQLite file: for every
task, whether the model answered (and how long it took) and whether its answer passed
validation. The model manager ranks models by it, and `sovereign models` shows it.

Only the latest KEPT outcomes per model and task are kept: the file stays small, and a model
that got better (a new version under the same name) is soon judged on what it does now. A
file that cannot be read or written costs only the record: outcomes are then kept in memory.
"""

from __future__ import annotations

import logging
import sqlite3
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG = logging.getLogger("sovereign.llm")

KEPT = 200
"""Outcomes kept per model and task."""

ANSWER = "answer:"
"""The prefix of the tasks that record answering (with its time), not validation."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcomes (
    id INTEGER PRIMARY KEY, model TEXT NOT NULL, task TEXT NOT NULL, ok INTEGER NOT NULL,
    seconds REAL NOT NULL);
CREATE INDEX IF NOT EXISTS outcomes_by_task ON outcomes(model, task, id);
"""


@dataclass
class Record:
    successes: int = 0
    failures: int = 0
    seconds: float = 0.0

    @property
    def success_rate(self) -> float:
        tries = self.successes + self.failures
        return self.successes / tries if tries else 0.5

    @property
    def mean_seconds(self) -> float:
        return self.seconds / self.successes if self.successes else 0.0


@dataclass(frozen=True)
class Measured:
    """One model's record, as `sovereign models` shows it: validated answers per kind of task
    (`generate`, `repair`) as (passed, asked), and the median time to an answer."""

    passed: dict[str, tuple[int, int]]
    median_seconds: float | None

    def __str__(self) -> str:
        parts = [f"{kind} {ok} of {asked} valid" for kind, (ok, asked) in self.passed.items()]
        if self.median_seconds is not None:
            parts.append(f"answers in {self.median_seconds:.1f} s (median)")
        return ", ".join(parts)


class Outcomes:
    """The record's file. Every call is safe when the file is unusable (then it does nothing
    and says so once in the log)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=10, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            self._lost(error)

    def totals(self) -> dict[tuple[str, str], Record]:
        """Every model and task's record, summed."""
        rows = self._rows("SELECT model, task, sum(ok), sum(1 - ok), sum(ok * seconds) "
                          "FROM outcomes GROUP BY model, task")
        return {(model, task): Record(int(ok), int(failed), float(seconds))
                for model, task, ok, failed, seconds in rows}

    def add(self, model: str, task: str, ok: bool, seconds: float) -> None:
        if self.db is None:
            return
        try:
            self.db.execute("INSERT INTO outcomes (model, task, ok, seconds) VALUES (?, ?, ?, ?)",
                            (model, task, int(ok), seconds))
            self.db.execute("DELETE FROM outcomes WHERE model = ? AND task = ? AND id <= "
                            "(SELECT id FROM outcomes WHERE model = ? AND task = ? "
                            "ORDER BY id DESC LIMIT 1 OFFSET ?)",
                            (model, task, model, task, KEPT))
        except sqlite3.Error as error:
            self._lost(error)

    def measured(self, model: str) -> Measured | None:
        """What `model` has been measured to do, None if it was never asked."""
        passed: dict[str, tuple[int, int]] = {}
        for task, ok, asked in self._rows(
                "SELECT task, sum(ok), count(*) FROM outcomes WHERE model = ? AND task NOT LIKE ? "
                "GROUP BY task ORDER BY task", (model, f"{ANSWER}%")):
            kind = task.partition(":")[0]
            before = passed.get(kind, (0, 0))
            passed[kind] = (before[0] + int(ok), before[1] + int(asked))
        times = [float(s) for (s,) in self._rows(
            "SELECT seconds FROM outcomes WHERE model = ? AND task LIKE ? AND ok = 1",
            (model, f"{ANSWER}%"))]
        if not passed and not times:
            return None
        return Measured(passed, statistics.median(times) if times else None)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def _rows(self, query: str, args: tuple[object, ...] = ()) -> list[Any]:
        if self.db is None:
            return []
        try:
            return self.db.execute(query, args).fetchall()
        except sqlite3.Error as error:
            self._lost(error)
            return []

    def _lost(self, error: Exception) -> None:
        LOG.warning("the models' record %s cannot be used (%s): outcomes are kept in memory "
                    "only", self.path, error)
        if self.db is not None:
            self.db.close()
        self.db = None

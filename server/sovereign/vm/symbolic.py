"""What the compiler knows of a value it writes Python for: the expression that computes it,
its type, the interval it lies in, and what a comparison of it with a constant says on each
path of a branch. Knowing more means writing fewer checks; every check it saves must be one
that could not fail."""

from __future__ import annotations

from dataclasses import dataclass

from ..lang.assembler import INT_MAX, INT_MIN


@dataclass
class Entry:
    """A symbolic stack slot: a Python expression and what is known of its type.

    `kind` is "int", "str", "any" (an int or a string) or "cond" (a Python bool expression that
    stands for the flag 1 or 0 and is only turned into an int if something needs the value)."""

    expr: str
    kind: str
    loaded: str | None = None
    """The memory local the value was loaded from, while that local still holds it."""
    low: int | None = None
    high: int | None = None
    """The interval an integer lies in, where known: from a literal, from arithmetic on
    bounded values, and from the branches on the path being written (`Block._branch`)."""
    test: tuple[Entry, str, int] | None = None
    """For a comparison of a value with a constant: the value, the operator and the
    constant, which tell a branch on it what holds on each of its paths."""
    drift: tuple[str, int, int] | None = None
    """In a loop: the value is what a memory local held when this time round began, plus an
    amount between two bounds (a sum the loop keeps moves by so much each time round)."""

    def value(self) -> str:
        return f"(1 if {self.expr} else 0)" if self.kind == "cond" else self.expr

    @property
    def type(self) -> str:
        """"int", "str" or "any": what the value is known to be at run time."""
        return "int" if self.kind == "cond" else self.kind

    def truth(self) -> str:
        return self.expr

    def copy(self) -> Entry:
        """The same value for another path, so that what a check or a branch finds of it on
        one path is not taken for known on another."""
        return Entry(self.expr, self.kind, self.loaded, self.low, self.high, drift=self.drift)


IN_RANGE = 1 << 31
"""How far from 0 a loop's integer locals may lie for their bounds to be assumed: the product
of two of them still fits in 64 bits."""


SUM_RANGE = 1 << 62
"""How far from 0 a loop's sums may lie where a time round begins (checked before each
stretch of times round): adding amounts within ±DRIFT_RANGE then cannot leave 64 bits."""

DRIFT_RANGE = 1 << 40
"""The most a loop's sum may move by in one time round for it to be kept in SUM_RANGE."""


def within(bounds: tuple[int, int], limit: int) -> bool:
    return -limit <= bounds[0] and bounds[1] <= limit


def value_range(entry: Entry) -> tuple[int, int]:
    """Where an integer entry lies: its bounds, where known, else int64's."""
    if entry.kind == "cond":
        return 0, 1
    return (INT_MIN if entry.low is None else entry.low,
            INT_MAX if entry.high is None else entry.high)


def exactly(entry: Entry) -> int | None:
    """The integer an entry is known to be, if it is known exactly (a literal, say)."""
    return entry.low if entry.low is not None and entry.low == entry.high else None


def interval(op: str, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Where the result of ADD, SUB or MUL of values in `a` and `b` lies."""
    if op == "ADD":
        return a[0] + b[0], a[1] + b[1]
    if op == "SUB":
        return a[0] - b[1], a[1] - b[0]
    products = [x * y for x in a for y in b]
    return min(products), max(products)


def negated(test: tuple[Entry, str, int] | None) -> tuple[Entry, str, int] | None:
    """What holds where a comparison is false."""
    if test is None:
        return None
    entry, symbol, constant = test
    return entry, {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}[symbol], constant


def narrow(entry: Entry, symbol: str, constant: int) -> None:
    """Narrow the bounds of `entry`, known to stand in relation `symbol` to `constant`."""
    if symbol in ("<", "<="):
        high = constant - 1 if symbol == "<" else constant
        entry.high = high if entry.high is None else min(entry.high, high)
    else:
        low = constant + 1 if symbol == ">" else constant
        entry.low = low if entry.low is None else max(entry.low, low)


def meet(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """What is known of values known to be `a` on one path and `b` on another."""
    return tuple(x if x == y else "any" for x, y in zip(a, b, strict=True))


def drifted(op: str, a: Entry, b: Entry) -> tuple[str, int, int] | None:
    """The drift of `a` ADD or SUB `b`: a drifting value plus or minus a bounded one drifts
    by their sum, while the total stays within ±DRIFT_RANGE."""
    if a.drift is not None:
        (base, low, high), (b_low, b_high) = a.drift, value_range(b)
        term = (b_low, b_high) if op == "ADD" else (-b_high, -b_low)
    elif b.drift is not None and op == "ADD":
        (base, low, high), term = b.drift, value_range(a)
    else:
        return None
    moved = (low + term[0], high + term[1])
    return (base, *moved) if within(moved, DRIFT_RANGE) else None

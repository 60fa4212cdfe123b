"""How often the code names each label and memory name, for the findings about the program as
a whole (a label never jumped to, a name loaded but never stored). Counted once, then kept up
to date from one version to the next by counting only the instructions an edit changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from .assembler import Instruction
from .opcodes import JUMPS


class NameUses(NamedTuple):
    """Instructions naming each label (jumps and calls), storing and loading each name."""

    jumps: Counter[str]
    stores: Counter[str]
    loads: Counter[str]

    @classmethod
    def of(cls, code: Sequence[Instruction]) -> NameUses:
        return cls(Counter([str(i.arg) for i in code if i.op in JUMPS]),
                   Counter([str(i.arg) for i in code if i.op == "STORE"]),
                   Counter([str(i.arg) for i in code if i.op == "LOAD"]))

    def updated(self, removed: Sequence[Instruction], added: Sequence[Instruction]) -> NameUses:
        """The counts once `removed` left the code and `added` came in. The old object is
        kept as it was (the analysis of the version before still holds it): a count the
        change touches is copied, the others are shared."""
        ops = {i.op for i in removed} | {i.op for i in added}
        jumps = Counter(self.jumps) if ops & JUMPS else self.jumps
        stores = Counter(self.stores) if "STORE" in ops else self.stores
        loads = Counter(self.loads) if "LOAD" in ops else self.loads
        for instructions, by in ((removed, -1), (added, 1)):
            for op, arg, *_ in instructions:
                if op in JUMPS:
                    jumps[str(arg)] += by
                elif op == "STORE":
                    stores[str(arg)] += by
                elif op == "LOAD":
                    loads[str(arg)] += by
        return NameUses(jumps, stores, loads)

    def never_stored(self) -> set[str]:
        """Names some instruction loads and none stores."""
        return {name for name, loads in self.loads.items() if loads and not self.stores[name]}

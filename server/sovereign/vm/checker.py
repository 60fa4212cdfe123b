"""Check a source text: assemble it, analyse it and run it in the sandbox.

This is the pipeline behind `sovereign check`, and later behind the editor's diagnostics, so
both report exactly the same findings. It never calls an LLM: at LLMGEN or EVOLVE the run uses
an answer the host already has (`fulfil`) or stops there and says so.
"""

from __future__ import annotations

from typing import NamedTuple

from ..lang.analysis import Analysis, analyse
from ..lang.assembler import Assembly, assemble
from ..lang.expectations import expectations, first_mismatch
from ..lang.findings import Finding, Severity, Span, in_line_order
from .config import VMConfig
from .machine import LLMRequest
from .run_findings import runtime_finding
from .sandbox import Fulfil, RunResult, no_llm, run_program

STOPPED_AT_LLM = "R330"
"""The code of the notice that a check stopped at an LLM instruction it had no answer for."""

UNEXPECTED_OUTPUT = "R340"
"""The code of the warning that a run printed something other than its `; expect:` lines."""


class CheckResult(NamedTuple):
    assembly: Assembly
    analysis: Analysis | None
    run: RunResult | None

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Assembly errors, else analysis findings and the sandbox run's result, in line order.

        When the run fails where the analysis already saw an error, only the runtime error is
        kept: it says the same with the real values and the call stack.
        """
        found = list(self.assembly.findings)
        runtime: Finding | None = None
        if self.run is not None:
            if (failed := self.run.failed) is not None:
                runtime = runtime_finding(failed.error, self.assembly.program)
            elif (request := self.run.stopped_at) is not None:
                runtime = self._stopped(request)
        if self.analysis is not None:
            found += [f for f in self.analysis.findings
                      if not (runtime and runtime.is_error and f.is_error
                              and f.span == runtime.span)]
        if runtime is not None:
            found.append(runtime)
        if self.run is not None and (unexpected := self._unexpected_output()) is not None:
            found.append(unexpected)
        return in_line_order(found)

    def _unexpected_output(self) -> Finding | None:
        assert self.run is not None
        texts = self.assembly.texts
        mismatch = first_mismatch(expectations(texts), self.run.output, self.run.halted)
        if mismatch is None:
            return None
        span = Span(mismatch.line, 0, len(texts[mismatch.line]))
        return Finding(UNEXPECTED_OUTPUT, Severity.WARNING, f"UnexpectedOutput: "
                       f"{mismatch.message}", span)

    def _stopped(self, request: LLMRequest) -> Finding:
        span = self.assembly.program.code[request.pc].span
        return Finding(STOPPED_AT_LLM, Severity.INFO, f"the check stopped at {request.kind}: "
                       "checks never call the LLM, and there is no earlier answer for this "
                       "request to reuse", span)


def check(source: str | bytes, config: VMConfig | None = None, *,
          fulfil: Fulfil = no_llm, run: bool = True) -> CheckResult:
    """Assemble, and when that succeeds analyse and (if `run`) run in the sandbox."""
    assembly = assemble(source)
    if not assembly.ok:
        return CheckResult(assembly, None, None)
    analysis = analyse(assembly.program)
    result = run_program(assembly.program, config, fulfil=fulfil) if run else None
    return CheckResult(assembly, analysis, result)

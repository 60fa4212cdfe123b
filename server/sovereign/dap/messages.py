"""The Debug Adapter Protocol's messages that Sovereign reads and writes, typed with attrs and
converted with cattrs: camelCase on the wire, snake_case here, absent fields omitted.

Only what the adapter uses is typed; the protocol's specification is the reference
(https://microsoft.github.io/debug-adapter-protocol/specification)."""

from __future__ import annotations

import attrs

from ..camel_json import camel_case_converter

# What comes in.


@attrs.frozen
class InitializeArguments:
    lines_start_at1: bool = True
    columns_start_at1: bool = True


@attrs.frozen
class LaunchArguments:
    """Sovereign's launch configuration: the program, and the run's limits (the defaults are
    `sovereign run`'s, but the wall clock, which a paused program does not use)."""

    program: str = ""
    stop_on_entry: bool = False
    no_debug: bool = False
    max_steps: int | None = None
    max_stack: int | None = None
    max_names: int | None = None
    max_call_depth: int | None = None
    max_string: int | None = None
    max_output: int | None = None
    max_memory: int | None = None
    snapshot_interval: int = attrs.field(default=1_000, validator=attrs.validators.ge(1))
    history_limit: int = attrs.field(default=4_000_000, validator=attrs.validators.ge(1))
    model: str | None = None
    host: str | None = None


@attrs.frozen
class Source:
    path: str | None = None
    name: str | None = None


@attrs.frozen
class SourceBreakpoint:
    line: int
    condition: str | None = None
    hit_condition: str | None = None
    log_message: str | None = None


@attrs.frozen
class SetBreakpointsArguments:
    source: Source
    breakpoints: list[SourceBreakpoint] = attrs.Factory(list)


@attrs.frozen
class ExceptionFilterOptions:
    filter_id: str
    condition: str | None = None


@attrs.frozen
class SetExceptionBreakpointsArguments:
    filters: list[str] = attrs.Factory(list)
    filter_options: list[ExceptionFilterOptions] = attrs.Factory(list)


@attrs.frozen
class ThreadArguments:
    """continue, next, stepIn, stepOut, stepBack, reverseContinue, pause, exceptionInfo."""

    thread_id: int


@attrs.frozen
class StackTraceArguments:
    thread_id: int
    start_frame: int = 0
    levels: int = 0


@attrs.frozen
class ScopesArguments:
    frame_id: int


@attrs.frozen
class VariablesArguments:
    variables_reference: int
    start: int = 0
    count: int = 0


@attrs.frozen
class SetVariableArguments:
    variables_reference: int
    name: str
    value: str


@attrs.frozen
class EvaluateArguments:
    expression: str
    frame_id: int | None = None
    context: str | None = None


# What goes out.


@attrs.frozen
class ExceptionBreakpointsFilter:
    filter: str
    label: str
    description: str
    default: bool = True
    supports_condition: bool = True
    condition_description: str = ""


@attrs.frozen
class Capabilities:
    supports_configuration_done_request: bool = True
    supports_conditional_breakpoints: bool = True
    supports_hit_conditional_breakpoints: bool = True
    supports_log_points: bool = True
    supports_step_back: bool = True
    supports_set_variable: bool = True
    supports_evaluate_for_hovers: bool = True
    supports_exception_info_request: bool = True
    supports_exception_filter_options: bool = True
    supports_terminate_request: bool = True
    exception_breakpoint_filters: list[ExceptionBreakpointsFilter] = attrs.Factory(list)


@attrs.frozen
class Breakpoint:
    verified: bool
    line: int | None = None
    message: str | None = None
    source: Source | None = None


@attrs.frozen
class StackFrame:
    id: int
    name: str
    line: int
    column: int
    source: Source | None = None
    end_line: int | None = None
    end_column: int | None = None


@attrs.frozen
class Scope:
    name: str
    variables_reference: int
    expensive: bool = False
    presentation_hint: str | None = None
    named_variables: int | None = None
    indexed_variables: int | None = None


@attrs.frozen
class Variable:
    name: str
    value: str
    variables_reference: int = 0
    type: str | None = None
    evaluate_name: str | None = None


@attrs.frozen
class Thread:
    id: int
    name: str


@attrs.frozen
class ExceptionDetails:
    message: str
    type_name: str


@attrs.frozen
class ExceptionInfo:
    exception_id: str
    description: str
    break_mode: str
    details: ExceptionDetails


CONVERTER = camel_case_converter()

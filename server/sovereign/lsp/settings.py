"""The server's settings: one typed tree with defaults, read from the client's JSON.

The client's `sovereign` section is camelCase JSON (`sandbox.maxSteps`); unknown keys are
ignored, and invalid values give one clear message while the defaults stay in force.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import cattrs
from cattrs.v import format_exception

from ..camel_json import camel_case, camel_case_converter
from ..evolve.search import Budget
from ..lang.program_schema import STRUCTURED
from ..vm.config import VMConfig

if TYPE_CHECKING:
    from ..host.services import LLMConfig


@attrs.frozen
class DiagnosticsSettings:
    debounce_ms: int = attrs.field(default=150, validator=attrs.validators.ge(0))


@attrs.frozen
class InlayHintSettings:
    enabled: bool = False


@attrs.frozen
class LlmSettings:
    """Where the models are and how generation behaves. No host means OLLAMA_HOST, else the
    local default; `openai` lists OpenAI-compatible servers."""

    enabled: bool = True
    host: str | None = None
    openai: tuple[str, ...] = ()
    api_key: str | None = None
    """The OpenAI-compatible servers' key; None: OPENAI_API_KEY in the server's environment."""
    model: str | None = None
    debounce_ms: int = attrs.field(default=300, validator=attrs.validators.ge(0))
    attempts: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    structured_output: str = attrs.field(default="auto",
                                         validator=attrs.validators.in_(STRUCTURED))


@attrs.frozen
class EvolveSettings:
    """`memory_path`: the pattern memory's SQLite file (default: the user's data directory).
    `search_candidates` and `search_millis`: the budget of the search over small edits that
    the quick fix runs before any model."""

    memory_path: str | None = None
    rounds: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    search_candidates: int = attrs.field(default=Budget().candidates,
                                         validator=attrs.validators.ge(1))
    search_millis: float = attrs.field(default=Budget().millis,
                                       validator=attrs.validators.gt(0))


@attrs.frozen
class Settings:
    sandbox: VMConfig = attrs.field(factory=VMConfig)
    """The sandbox's limits for checking code as it is typed: VMConfig itself, its fields read
    as camelCase (`maxSteps`), so no limit is written twice."""
    diagnostics: DiagnosticsSettings = DiagnosticsSettings()
    inlay_hints: InlayHintSettings = InlayHintSettings()
    live_values: bool = False
    """Inlay hints of what each line left on top of the stack in the sandbox run."""
    llm: LlmSettings = LlmSettings()
    evolve: EvolveSettings = EvolveSettings()


def _converter() -> cattrs.Converter:
    converter = camel_case_converter()
    converter.register_structure_hook(VMConfig, _vm_config)
    return converter


class LimitError(ValueError):
    """A sandbox limit that is not a positive number: its message is the user's to read."""


def _vm_config(raw: object, kind: type) -> VMConfig:
    """The sandbox's limits from `{"maxSteps": 1000, ...}`; VMConfig checks every value."""
    if not isinstance(raw, dict):
        raise LimitError(f"sandbox must be an object, not {raw!r}")
    names = {camel_case(f.name): f.name for f in dataclasses.fields(VMConfig)}
    given = {names[key]: value for key, value in raw.items() if key in names}
    for name, value in given.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise LimitError(f"sandbox.{camel_case(name)} must be a number, not {value!r}")
    try:
        return dataclasses.replace(VMConfig(), **given)
    except ValueError as error:  # VMConfig names the field first: `max_steps must be ...`
        name, _, rest = str(error).partition(" ")
        raise LimitError(f"sandbox.{camel_case(name)} {rest}") from None


def _message(error: BaseException, kind: type | None) -> str:
    return str(error) if isinstance(error, LimitError) else format_exception(error, kind)


_CONVERTER = _converter()


def llm_config(settings: Settings) -> LLMConfig:
    """What the composition root builds the editor's LLM services from."""
    from ..host.services import LLMConfig

    llm, evolve = settings.llm, settings.evolve
    return LLMConfig(ollama=(llm.host,) if llm.host else (), openai=llm.openai,
                     api_key=llm.api_key, model=llm.model, attempts=llm.attempts,
                     rounds=evolve.rounds,
                     memory_path=Path(evolve.memory_path) if evolve.memory_path else None,
                     sandbox=settings.sandbox, structured=llm.structured_output,
                     search=Budget(candidates=evolve.search_candidates,
                                   millis=evolve.search_millis))


def changed_from_defaults(settings: Settings) -> str:
    """The settings that differ from the defaults, as the client spells them, for the log:
    `llm.model = 'qwen2.5-coder:7b', sandbox.maxSteps = 1000`, or `all defaults`."""
    pairs = _differences(_fields(settings), _fields(Settings()), "")
    return ", ".join(f"{name} = {value!r}" for name, value in pairs) or "all defaults"


def _differences(values: dict[str, Any], defaults: dict[str, Any],
                 prefix: str) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name, value in values.items():
        key = prefix + camel_case(name)
        default = defaults[name]
        if attrs.has(type(value)) or dataclasses.is_dataclass(value):
            found += _differences(_fields(value), _fields(default), key + ".")
        elif value != default:
            found.append((key, "(set)" if name == "api_key" else value))
    return found


def _fields(value: Any) -> dict[str, Any]:
    if attrs.has(type(value)):
        return attrs.asdict(value, recurse=False)
    return dataclasses.asdict(value)


def read_settings(raw: object) -> tuple[Settings, str | None]:
    """Settings from the client's JSON, and a message if some of it was not usable."""
    if raw is None:
        return Settings(), None
    if not isinstance(raw, dict):
        return Settings(), "invalid sovereign settings (not an object): using the defaults"
    try:
        settings = _CONVERTER.structure(raw, Settings)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        details = "; ".join(cattrs.transform_error(exc, format_exception=_message)) \
            if isinstance(exc, cattrs.BaseValidationError) else str(exc)
        return Settings(), f"invalid sovereign settings ({details}): using the defaults"
    return settings, None

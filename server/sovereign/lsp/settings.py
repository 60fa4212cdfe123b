"""The server's settings: one typed tree with defaults, read from the client's JSON.

The client's `sovereign` section is camelCase JSON (`sandbox.maxSteps`); unknown keys are
ignored, and invalid values give one clear message while the defaults stay in force.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ..vm.config import VMConfig


@attrs.frozen
class SandboxSettings:
    """The sandbox's limits for checking code as it is typed (VMConfig's tight defaults)."""

    max_steps: int = VMConfig.max_steps
    max_stack: int = VMConfig.max_stack
    max_names: int = VMConfig.max_names
    max_call_depth: int = VMConfig.max_call_depth
    max_string: int = VMConfig.max_string
    max_output: int = VMConfig.max_output
    max_millis: float = VMConfig.max_millis

    def config(self) -> VMConfig:
        return VMConfig(**attrs.asdict(self))


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
    model: str | None = None
    debounce_ms: int = attrs.field(default=300, validator=attrs.validators.ge(0))
    attempts: int = attrs.field(default=3, validator=attrs.validators.ge(1))


@attrs.frozen
class EvolveSettings:
    """`memory_path`: the pattern memory's SQLite file (default: the user's data directory)."""

    memory_path: str | None = None
    rounds: int = attrs.field(default=3, validator=attrs.validators.ge(1))


@attrs.frozen
class Settings:
    sandbox: SandboxSettings = SandboxSettings()
    diagnostics: DiagnosticsSettings = DiagnosticsSettings()
    inlay_hints: InlayHintSettings = InlayHintSettings()
    llm: LlmSettings = LlmSettings()
    evolve: EvolveSettings = EvolveSettings()


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)

    def structure_factory(cls: type) -> Any:
        renames = {f.name: override(rename=_camel(f.name)) for f in attrs.fields(cls)}
        # cattrs types the per-field overrides as its own keyword flags, hence the ignore.
        return make_dict_structure_fn(cls, converter, **renames)  # type: ignore[arg-type]

    converter.register_structure_hook_factory(attrs.has, structure_factory)
    return converter


_CONVERTER = _converter()


def changed_from_defaults(settings: Settings) -> str:
    """The settings that differ from the defaults, as the client spells them, for the log:
    `llm.model = 'qwen2.5-coder:7b', sandbox.maxSteps = 1000`, or `all defaults`."""
    pairs = _differences(attrs.asdict(settings, recurse=False), attrs.asdict(
        Settings(), recurse=False), "")
    return ", ".join(f"{name} = {value!r}" for name, value in pairs) or "all defaults"


def _differences(values: dict[str, Any], defaults: dict[str, Any],
                 prefix: str) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name, value in values.items():
        key = prefix + _camel(name)
        default = defaults[name]
        if attrs.has(type(value)):
            found += _differences(attrs.asdict(value, recurse=False),
                                  attrs.asdict(default, recurse=False), key + ".")
        elif value != default:
            found.append((key, value))
    return found


def read_settings(raw: object) -> tuple[Settings, str | None]:
    """Settings from the client's JSON, and a message if some of it was not usable."""
    if raw is None:
        return Settings(), None
    if not isinstance(raw, dict):
        return Settings(), "invalid sovereign settings (not an object): using the defaults"
    try:
        settings = _CONVERTER.structure(raw, Settings)
        settings.sandbox.config()
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        details = "; ".join(cattrs.transform_error(exc)) if isinstance(
            exc, cattrs.BaseValidationError) else str(exc)
        return Settings(), f"invalid sovereign settings ({details}): using the defaults"
    return settings, None

"""Typed JSON with camelCase keys, as VS Code's settings and the Debug Adapter Protocol write
them: attrs classes with snake_case fields, read and written through one cattrs converter, so
that neither face renames a field by hand. It stands outside the layers: both faces use it,
and it knows nothing of Sovereign."""

from __future__ import annotations

import re
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override


def camel_case(name: str) -> str:
    """`max_steps` as the JSON writes it: `maxSteps`."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def camel_case_converter() -> cattrs.Converter:
    """A converter for attrs classes under camelCase keys. Keys it does not know are left
    alone (clients send more than we read); a field whose default is None is left out of
    what it writes while it is None, as optional protocol fields are."""
    converter = cattrs.Converter(forbid_extra_keys=False)

    # cattrs types the per-field overrides as its own keyword flags, hence the ignores.
    def structure(cls: type) -> Any:
        renames = {f.name: override(rename=camel_case(f.name)) for f in attrs.fields(cls)}
        return make_dict_structure_fn(cls, converter, **renames)  # type: ignore[arg-type]

    def unstructure(cls: type) -> Any:
        renames = {f.name: override(rename=camel_case(f.name),
                                    omit_if_default=f.default is None)
                   for f in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, converter, **renames)  # type: ignore[arg-type]

    converter.register_structure_hook_factory(attrs.has, structure)
    converter.register_unstructure_hook_factory(attrs.has, unstructure)
    return converter

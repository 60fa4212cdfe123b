"""What a `launch` request reads: the program, assembled, and the limits it runs under."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

from ..lang.assembler import Program, assemble
from ..vm.config import VMConfig
from .errors import RequestError
from .messages import LaunchArguments


def assembled(path: Path) -> Program:
    """The program at `path`, or a RequestError that says why it cannot be debugged."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RequestError(f"{path} is not a regular file")
        source = path.read_bytes()
    except OSError as error:
        raise RequestError(f"cannot read {path}: {error.strerror}") from None
    assembly = assemble(source)
    if not assembly.ok:
        errors = [f for f in assembly.findings if f.is_error][:5]
        where = "; ".join(f"line {f.span.line + 1}: {f.code} {f.message}" for f in errors)
        raise RequestError(f"{path.name} does not assemble: {where}")
    return assembly.program


def limits(launch: LaunchArguments) -> VMConfig:
    """`sovereign run`'s limits, with those the launch configuration sets."""
    given = {field.name: getattr(launch, field.name) for field in dataclasses.fields(VMConfig)
             if getattr(launch, field.name, None) is not None}
    try:
        return dataclasses.replace(VMConfig.run_defaults(), **given)
    except ValueError as error:
        raise RequestError(f"launch configuration: {error}") from None

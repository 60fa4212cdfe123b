"""Sovereign: the language core, VM, CLI and language server for Sovereign assembly."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sovereign")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

"""Sovereign: the language core, VM, CLI and language server for Sovereign assembly."""

__version__ = "0.1.0"

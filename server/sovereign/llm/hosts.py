"""Where the Ollama server is: the setting, else OLLAMA_HOST, else the local default.

OLLAMA_HOST is read the way Ollama's own Python client reads it (no scheme means http, no port
means 11434, an explicit http or https scheme without a port means 80 or 443, `:56789` alone
means the local host on that port, a path is kept, IPv6 addresses in brackets); and, as the
Ollama server does, an address that means "every interface" is reached on the loopback.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

DEFAULT_PORT = 11434
LOOPBACK = "127.0.0.1"
_SCHEME_PORTS = {"http": 80, "https": 443}


def parse_host(value: str | None) -> str:
    """A base URL such as `http://127.0.0.1:11434` from an OLLAMA_HOST-style value."""
    value = (value or "").strip()
    scheme, separator, rest = value.partition("://")
    port = DEFAULT_PORT
    if not separator:
        scheme, rest = "http", value
    else:
        scheme = scheme.lower()
        port = _SCHEME_PORTS.get(scheme, DEFAULT_PORT)
    parts = urlsplit(f"{scheme}://{rest}")
    try:
        port = parts.port or port
    except ValueError as exc:
        raise ValueError(f"invalid Ollama host {value!r}: {exc}") from None
    host = _reachable(parts.hostname or LOOPBACK)
    path = parts.path.strip("/")
    return f"{scheme}://{host}:{port}" + (f"/{path}" if path else "")


def _reachable(host: str) -> str:
    """The address to connect to: a bind-all address means this machine; IPv6 in brackets."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return LOOPBACK if address.version == 4 else "[::1]"
    return f"[{host}]" if address.version == 6 else host


def ollama_url(setting: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The base URL to use: the setting when given, else OLLAMA_HOST, else the default."""
    environ = os.environ if environ is None else environ
    return parse_host(setting or environ.get("OLLAMA_HOST"))

"""`sovereign models` and `sovereign doctor`: the hosts, their models, and what to do when
something is missing."""

from __future__ import annotations

import argparse
import asyncio

from ..host.services import LLMConfig, host_settings
from ..llm.models import CODE, FIM, ModelManager
from ..llm.setup import make_hosts
from .parser import llm_config

SUGGESTED = "qwen2.5-coder:7b"


def list_models(args: argparse.Namespace) -> int:
    text, ok = asyncio.run(models_table(llm_config(args)))
    print(text)
    return 0 if ok else 1


def doctor(args: argparse.Namespace) -> int:
    text, ok = asyncio.run(diagnose(llm_config(args)))
    print(text)
    return 0 if ok else 1


async def models_table(config: LLMConfig) -> tuple[str, bool]:
    """A table of every model on every reachable host; False when no host answered."""
    hosts = make_hosts(host_settings(config))
    try:
        lines = []
        reachable = False
        for client in hosts.clients:
            health = await client.health()
            reachable = reachable or health.reachable
            state = f"version {health.version}" if health.reachable else health.error
            lines.append(f"{client.url}: {state}")
        manager = ModelManager(hosts)
        for model in await manager.refresh():
            context = f"{model.context_length:,} tokens" if model.context_length else "?"
            size = f"{model.parameters:g}B" if model.parameters else "?"
            lines.append(f"  {model.name:<32} {size:>6}  context {context:<16} "
                         f"{', '.join(sorted(model.capabilities))}")
        return "\n".join(lines), reachable
    finally:
        await hosts.close()


async def diagnose(config: LLMConfig) -> tuple[str, bool]:
    """Whether an LLM is usable, and the next step when it is not."""
    hosts = make_hosts(host_settings(config))
    try:
        lines = []
        healthy = []
        for client in hosts.clients:
            health = await client.health()
            if health.reachable:
                healthy.append(client)
                lines.append(f"ok: {client.url} answers (version {health.version}, "
                             f"{len(health.models)} models)")
            else:
                lines.append(f"problem: {health.error}")
        if not healthy:
            return "\n".join(lines), False
        models = await ModelManager(hosts).refresh()
        coders = [m for m in models if {CODE, FIM} <= m.capabilities]
        if not models:
            lines.append(f"problem: no model is installed: run `ollama pull {SUGGESTED}`")
            return "\n".join(lines), False
        if not coders:
            lines.append("note: no installed model is known to fill in code; for the best "
                         f"completions run `ollama pull {SUGGESTED}`")
        else:
            lines.append(f"ok: code models: {', '.join(m.name for m in coders)}")
        return "\n".join(lines), True
    finally:
        await hosts.close()

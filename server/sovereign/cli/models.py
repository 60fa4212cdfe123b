"""`sovereign models` and `sovereign doctor`: the hosts, their models, and what to do when
something is missing."""

from __future__ import annotations

import argparse
import asyncio

from ..host.services import LLMConfig, host_settings, records_path
from ..llm.models import CODE, FIM, ModelManager, none_for, unfit
from ..llm.records import Outcomes
from ..llm.setup import make_hosts
from .notes import notes_to_stderr
from .parser import llm_config


def list_models(args: argparse.Namespace) -> int:
    notes_to_stderr()
    text, ok = asyncio.run(models_table(llm_config(args)))
    print(text)
    return 0 if ok else 1


def doctor(args: argparse.Namespace) -> int:
    notes_to_stderr()
    text, ok = asyncio.run(diagnose(llm_config(args)))
    print(text)
    return 0 if ok else 1


async def models_table(config: LLMConfig) -> tuple[str, bool]:
    """A table of every model on every reachable host, with what each has been measured to
    do; False when no host answered."""
    hosts = make_hosts(host_settings(config))
    store = Outcomes(records_path(config))
    try:
        lines = []
        reachable = False
        for client in hosts.clients:
            health = await client.health()
            reachable = reachable or health.reachable
            state = f"version {health.version}" if health.reachable else health.error
            lines.append(f"{client.url}: {state}")
        for model in await ModelManager(hosts).refresh():
            context = f"{model.context_length:,} tokens" if model.context_length else "?"
            size = _size(model.parameters)
            lines.append(f"  {model.name:<32} {size:>6}  context {context:<16} "
                         f"{', '.join(sorted(model.capabilities))}")
            measured = store.measured(model.name)
            lines.append(f"    measured: {measured}" if measured else "    not measured yet")
        return "\n".join(lines), reachable
    finally:
        store.close()
        await hosts.close()


TASKS = (("LLMGEN", {CODE}, True), ("EVOLVE", {CODE}, True), ("fill-in-the-middle", {FIM}, False))
"""Each task doctor checks, what it needs, and whether it is required: without a model that
fills in the middle, LLMGEN asks in a chat instead."""


async def diagnose(config: LLMConfig) -> tuple[str, bool]:
    """Whether an LLM is usable for each task, which model would be used and why, and the next
    step when a task has none."""
    hosts = make_hosts(host_settings(config))
    try:
        lines = []
        reachable = False
        for client in hosts.clients:
            health = await client.health()
            reachable = reachable or health.reachable
            lines.append(f"ok: {client.url} answers (version {health.version}, "
                         f"{len(health.models)} models)" if health.reachable
                         else f"problem: {health.error}")
        if not reachable:
            return "\n".join(lines), False
        manager = ModelManager(hosts)
        await manager.refresh()
        ok = True
        for task, needs, required in TASKS:
            line, usable = _task_line(manager, task, needs, required, config.model)
            lines.append(line if usable or required else line.replace("problem:", "note:", 1))
            ok = ok and (usable or not required)
        return "\n".join(lines), ok
    finally:
        await hosts.close()


def _task_line(manager: ModelManager, task: str, needs: set[str], required: bool,
               explicit: str | None) -> tuple[str, bool]:
    """`task`: the model its requests would go to first, and why; or why none."""
    if explicit and explicit not in {m.name for m in manager.models}:
        return f"problem: {task}: the chosen model {explicit} is not installed: run " \
               f"`ollama pull {explicit}`", False
    chain = manager.choose(needs, task, explicit=explicit)
    if not required:  # a capability the server reports, not a guess: none is asked without it
        chain = [m for m in chain if needs <= m.capabilities]
    if not chain:
        return f"problem: {task}: {none_for(needs, manager.models, manager.problems)}", False
    first = chain[0]
    why = unfit(first, needs, explicit) or (
        "you chose it" if first.name == explicit else
        f"known for {', '.join(sorted(needs))}, the {'largest' if len(chain) > 1 else 'only'} "
        "such model installed")
    return f"ok: {task}: {first.name} ({why})", True


def _size(billions: float | None) -> str:
    if billions is None:
        return "?"
    return f"{billions:g}B" if billions >= 1 else f"{billions * 1000:.0f}M"

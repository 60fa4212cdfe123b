"""Several hosts with circuit breakers, and the model manager's choices and fallbacks."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sovereign.llm.api import GenerateRequest
from sovereign.llm.errors import LLMError, ModelNotFound, Unreachable
from sovereign.llm.models import CODE, FAST, FIM, LONG_CONTEXT, ModelManager, family_of
from sovereign.llm.ollama import OllamaClient
from sovereign.llm.pool import Hosts
from sovereign.llm.records import KEPT, Outcomes, Record
from sovereign.llm.transport import LLMClient, Retries

from .fake_ollama import FakeOllama

ONCE = Retries(attempts=1)


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_dead_host_is_skipped_then_tried_again_after_the_cooldown(
        ollama: FakeOllama) -> None:
    ollama.script("coder", chunks=["NOP"])
    dead = OllamaClient(dead_url(), retries=ONCE)
    clock = Clock()
    hosts = Hosts([dead, OllamaClient(ollama.url, retries=ONCE)], threshold=2, cooldown=30,
                  clock=clock)

    async def ask(client: LLMClient) -> str:
        return (await client.generate(GenerateRequest("coder", "x"))).text

    assert await hosts.call(ask) == "NOP"
    assert await hosts.call(ask) == "NOP"
    assert hosts.available() == [hosts.clients[1]]
    clock.now += 31
    assert hosts.available() == hosts.clients
    await hosts.close()


async def test_a_missing_model_is_looked_for_on_the_next_host(ollama: FakeOllama) -> None:
    other = FakeOllama()
    await other.start()
    other.script("rare", chunks=["HALT"])
    hosts = Hosts([OllamaClient(ollama.url, retries=ONCE), OllamaClient(other.url, retries=ONCE)])

    async def ask(client: LLMClient) -> str:
        return (await client.generate(GenerateRequest("rare", "x"))).text

    assert await hosts.call(ask) == "HALT"
    with pytest.raises(ModelNotFound):
        await hosts.call(lambda c: c.generate(GenerateRequest("nowhere", "x")))
    await hosts.close()
    await other.stop()


async def test_when_every_host_is_down_the_error_says_so() -> None:
    hosts = Hosts([OllamaClient(dead_url(), retries=ONCE)], threshold=1)
    with pytest.raises(Unreachable):
        await hosts.call(lambda c: c.version())
    with pytest.raises(Unreachable, match="every host failed recently"):
        await hosts.call(lambda c: c.version())
    await hosts.close()


def test_families_from_model_names() -> None:
    assert family_of("qwen2.5-coder:7b").prefix == "qwen2.5-coder"
    assert family_of("qwen2.5:14b").prefix == "qwen2.5"
    assert family_of("hf.co/someone/CodeLlama-7B:latest").prefix == "codellama"
    assert family_of("something-new:1b").prefix == ""


async def manager(ollama: FakeOllama) -> ModelManager:
    ollama.script("qwen2.5-coder:7b", capabilities=["completion", "insert"], context_length=32768)
    ollama.script("qwen2.5-coder:1.5b", capabilities=["completion", "insert"],
                  context_length=32768)
    ollama.script("llama3.2:3b", capabilities=["completion", "tools"], context_length=131072)
    ollama.script("starcoder2:3b", capabilities=["completion"], context_length=16384)
    models = ModelManager(Hosts([OllamaClient(ollama.url, retries=ONCE)]))
    await models.refresh()
    return models


async def test_capabilities_merge_the_registry_with_what_the_server_says(
        ollama: FakeOllama) -> None:
    models = {m.name: m for m in (await manager(ollama)).models}
    assert FIM in models["qwen2.5-coder:7b"].capabilities
    assert FIM not in models["starcoder2:3b"].capabilities  # the server does not list insert
    assert LONG_CONTEXT in models["llama3.2:3b"].capabilities
    assert models["llama3.2:3b"].context_length == 131072
    assert FAST in models["qwen2.5-coder:1.5b"].capabilities


async def test_choice_by_capability_preference_explicit_and_record(ollama: FakeOllama) -> None:
    models = await manager(ollama)
    best = [m.name for m in models.choose({CODE, FIM}, "generate")]
    assert best == ["qwen2.5-coder:7b", "qwen2.5-coder:1.5b"]
    fast = [m.name for m in models.choose({CODE, FIM}, "generate", prefer="fast")]
    assert fast == ["qwen2.5-coder:1.5b", "qwen2.5-coder:7b"]
    pinned = models.choose({CODE, FIM}, "generate", explicit="llama3.2:3b")
    assert pinned[0].name == "llama3.2:3b"
    for _ in range(3):
        models.note("qwen2.5-coder:7b", "repair", ok=False, seconds=1)
        models.note("qwen2.5-coder:1.5b", "repair", ok=True, seconds=1)
    assert models.choose({CODE, FIM}, "repair")[0].name == "qwen2.5-coder:1.5b"
    assert models.choose({CODE, FIM}, "generate")[0].name == "qwen2.5-coder:7b"


async def test_the_fallback_chain_reports_every_attempt(ollama: FakeOllama) -> None:
    models = await manager(ollama)
    ollama.script("qwen2.5-coder:7b", fault="500", capabilities=["completion", "insert"])
    chain = models.choose({CODE, FIM}, "generate")
    completion, used = await models.first_that_works(
        chain, "generate",
        lambda client, model: client.generate(GenerateRequest(model.name, "x")))
    assert (used.name, completion.text) == ("qwen2.5-coder:1.5b", "PUSH #1\nPRINT")
    assert models.record("qwen2.5-coder:7b", "generate").failures == 1
    assert models.record("qwen2.5-coder:1.5b", "generate").successes == 1
    ollama.script("qwen2.5-coder:1.5b", fault="500", capabilities=["completion", "insert"])
    with pytest.raises(LLMError) as failed:
        await models.first_that_works(
            chain, "generate",
            lambda client, model: client.generate(GenerateRequest(model.name, "x")))
    assert str(failed.value).startswith("qwen2.5-coder:7b: the LLM server at ")
    assert "; qwen2.5-coder:1.5b: the LLM server at " in str(failed.value)
    with pytest.raises(LLMError, match="no suitable model"):
        await models.first_that_works([], "generate", lambda c, m: c.version())
    await models.hosts.close()


async def test_sizes_in_millions_rank_below_billions(ollama: FakeOllama) -> None:
    ollama.script("qwen2.5-coder:135m", parameter_size="134.52M")
    ollama.script("qwen2.5-coder:1.5b", parameter_size="1.5B")
    models = ModelManager(Hosts([OllamaClient(ollama.url, retries=ONCE)]))
    await models.refresh()
    sizes = {m.name: m.parameters for m in models.models}
    assert sizes == {"qwen2.5-coder:135m": 0.13452, "qwen2.5-coder:1.5b": 1.5}
    fast = [m.name for m in models.choose({CODE}, "generate", prefer="fast")]
    assert fast == ["qwen2.5-coder:135m", "qwen2.5-coder:1.5b"]


async def test_the_only_model_installed_is_asked_whatever_it_is_known_for(
        ollama: FakeOllama) -> None:
    ollama.script("smollm2:135m", capabilities=["completion"])
    models = ModelManager(Hosts([OllamaClient(ollama.url, retries=ONCE)]))
    await models.refresh()
    assert [m.name for m in models.choose({CODE}, "generate")] == ["smollm2:135m"]
    ollama.script("gemma:2b", capabilities=["completion"])
    await models.refresh()
    assert models.choose({CODE}, "generate") == []
    assert [m.name for m in models.choose({CODE}, "generate", explicit="gemma:2b")] == [
        "gemma:2b"]


def test_the_record_outlives_the_run_and_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "models.sqlite3"
    store = Outcomes(path)
    manager = ModelManager(Hosts([]), store=store)
    for ok in [True] * (KEPT + 5) + [False]:
        manager.note("m", "generate", ok, 0.0)
    manager.note("m", "answer:generate", True, 2.0)
    store.close()
    again = ModelManager(Hosts([]), store=Outcomes(path))
    assert again.record("m", "generate") == Record(KEPT - 1, 1, 0.0)
    measured = again.store.measured("m") if again.store else None
    assert str(measured) == f"generate {KEPT - 1} of {KEPT} valid, answers in 2.0 s (median)"


def test_an_unusable_record_file_costs_only_the_record(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    manager = ModelManager(Hosts([]), store=Outcomes(tmp_path))  # a directory, not a file
    manager.note("m", "generate", True, 0.0)
    assert manager.record("m", "generate").successes == 1
    assert "cannot be used" in caplog.text

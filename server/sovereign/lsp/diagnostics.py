"""Diagnostics, the main job: on every change, publish the assembly errors and analysis
findings of that version at once, then, after a short debounce, the sandbox run's result.

Each document has at most one check in flight: a newer version cancels the older check, and a
result is published only while its version is still the document's current one. The sandbox
never calls an LLM.

Assembly and analysis run on a worker thread, not on the event loop: on a file of 100,000
lines they take a second, and a hover or a completion must not wait behind them.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types as T

from ..lang.findings import Finding, reported
from ..vm.checker import CheckResult
from .documents import Snapshot
from .server import SovereignServer


def register(server: SovereignServer) -> None:
    server.feature(T.TEXT_DOCUMENT_DID_OPEN)(server.guarded(did_open, None))
    server.feature(T.TEXT_DOCUMENT_DID_CHANGE)(server.guarded(did_change, None))
    server.feature(T.TEXT_DOCUMENT_DID_CLOSE)(server.guarded(did_close, None))


def did_open(ls: SovereignServer, params: T.DidOpenTextDocumentParams) -> None:
    ls.open_uris.add(params.text_document.uri)
    schedule_check(ls, params.text_document.uri)


def did_change(ls: SovereignServer, params: T.DidChangeTextDocumentParams) -> None:
    schedule_check(ls, params.text_document.uri)


def did_close(ls: SovereignServer, params: T.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if (task := ls.checks.pop(uri, None)) is not None:
        task.cancel()
    ls.open_uris.discard(uri)
    ls.documents.forget(uri)
    ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def schedule_check(ls: SovereignServer, uri: str) -> None:
    """Check `uri` again, cancelling the check of any older version."""
    if (old := ls.checks.pop(uri, None)) is not None:
        old.cancel()
    task = asyncio.get_running_loop().create_task(ls.guarded(_check, None)(ls, uri))
    ls.checks[uri] = task


def recheck_all(ls: SovereignServer) -> None:
    for uri in list(ls.open_uris):
        schedule_check(ls, uri)


async def _check(ls: SovereignServer, uri: str) -> None:
    await ls.with_settings()
    await asyncio.sleep(0)  # let the rest of a burst of edits arrive first
    snapshot = ls.snapshot(uri)
    if snapshot is None:
        return
    static = await asyncio.get_running_loop().run_in_executor(None, _static, snapshot)
    if not _is_current(ls, snapshot):
        return
    _publish(ls, snapshot, static)
    if not snapshot.assembly.ok:
        return
    await asyncio.sleep(ls.settings.diagnostics.debounce_ms / 1000)
    run = await ls.run_sandboxed(snapshot.assembly.program)
    snapshot.run = run
    if _is_current(ls, snapshot):
        _publish(ls, snapshot, CheckResult(snapshot.assembly, snapshot.analysis, run).findings)
        if run.live is not None:  # the live values come from this run
            ls.refresh_inlay_hints()


def _static(snapshot: Snapshot) -> tuple[Finding, ...]:
    """The version's assembly errors and analysis findings (computed once, kept on it)."""
    return snapshot.static.findings


def _is_current(ls: SovereignServer, snapshot: Snapshot) -> bool:
    current = ls.snapshot(snapshot.uri)
    return current is not None and current.version == snapshot.version


def _publish(ls: SovereignServer, snapshot: Snapshot, findings: tuple[Finding, ...]) -> None:
    convert = snapshot.convert
    ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(
        uri=snapshot.uri, version=snapshot.version,
        diagnostics=[convert.diagnostic(f) for f in reported(findings)]))

"""Start-up and settings: pull the `sovereign` section through workspace/configuration when
the client can answer it, again whenever the client says it changed."""

from __future__ import annotations

from lsprotocol import types as T

from .diagnostics import recheck_all
from .line_breaks import with_lsp_line_breaks
from .server import LOG, SovereignServer
from .settings import changed_from_defaults, read_settings


def register(server: SovereignServer) -> None:
    server.feature(T.INITIALIZE)(server.guarded(initialize, None))
    server.feature(T.INITIALIZED)(server.guarded(initialized, None))
    server.feature(T.WORKSPACE_DID_CHANGE_CONFIGURATION)(
        server.guarded(configuration_changed, None))
    server.feature(HEALTH)(health)


HEALTH = "sovereign/health"


def health(ls: SovereignServer, params: object) -> dict[str, object]:
    """How often each handler failed since the server started (the guard answered for it):
    what a test checks after sending odd input, so that a feature failing on every request
    cannot hide behind "the server stayed alive"."""
    return {"failures": dict(ls.failures)}


def initialize(ls: SovereignServer, params: T.InitializeParams) -> None:
    ls.protocol._workspace = with_lsp_line_breaks(ls.workspace)
    options = params.initialization_options
    commands = options.get("clientCommands") if isinstance(options, dict) else None
    if isinstance(commands, list):
        ls.client_commands = frozenset(c for c in commands if isinstance(c, str))
    ls.shows_status = isinstance(options, dict) and options.get("showsStatus") is True


async def initialized(ls: SovereignServer, params: T.InitializedParams) -> None:
    try:
        await _pull_settings(ls)
    finally:
        ls.settings_ready.set()


async def configuration_changed(ls: SovereignServer,
                                params: T.DidChangeConfigurationParams) -> None:
    pushed = params.settings.get("sovereign") if isinstance(params.settings, dict) else None
    await _pull_settings(ls, pushed)
    await ls.generations.reset()
    ls.searches.clear()  # searched under the old limits
    recheck_all(ls)
    ls.refresh_inlay_hints()


async def _pull_settings(ls: SovereignServer, pushed: object = None) -> None:
    raw = pushed
    workspace = ls.client_capabilities.workspace
    if raw is None and workspace is not None and workspace.configuration:
        [raw] = await ls.workspace_configuration_async(
            T.ConfigurationParams(items=[T.ConfigurationItem(section="sovereign")]))
    settings, problem = read_settings(raw)
    if problem is not None:
        LOG.warning(problem)
        ls.window_show_message(T.ShowMessageParams(type=T.MessageType.Warning, message=problem))
    if settings != ls.settings_logged:
        LOG.info("settings: %s", changed_from_defaults(settings))
        ls.settings_logged = settings
    ls.settings = settings

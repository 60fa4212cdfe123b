"""The JSON-RPC rules pygls 2 leaves unanswered, answered: every request gets a response.

pygls drops three kinds of request without a word, and the client then waits forever:
- a request whose params do not fit the method's type (a negative, string, float or null
  position): pygls logs "Unable to deserialize message" while parsing and goes on;
- any request after `shutdown`: it logs "Server shutting down" and goes on;
- a second `initialize`, which it handles again, resetting the workspace: every open
  document is then unknown.
The first is answered InvalidParams (-32602) with what does not fit, the others
InvalidRequest (-32600), and the state is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cattrs import ClassValidationError, transform_error
from cattrs.v import format_exception
from lsprotocol import types as T
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol


@dataclass(frozen=True)
class Unanswered:
    """A request pygls could not read: what to answer it with."""

    id: int | str
    error: JsonRpcException


class SovereignProtocol(LanguageServerProtocol):
    _initialize_seen = False

    @property
    def shut_down(self) -> bool:
        """Whether the client has sent `shutdown`."""
        return bool(self._shutdown)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            request_id = data.get("id")
            if not (isinstance(request_id, int | str) and isinstance(data.get("method"), str)):
                raise  # a notification or a response: there is no one to answer
            cause = error.__cause__
            detail = "; ".join(transform_error(cause, format_exception=_said)) if isinstance(
                cause, ClassValidationError) else str(cause or error)
            return Unanswered(request_id, JsonRpcInvalidParams(
                message=f"invalid params for {data['method']}: {detail}"))

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Unanswered):
            self._refuse(message.id, message.error)
            return
        method, request_id = getattr(message, "method", None), getattr(message, "id", None)
        if request_id is not None and method is not None:
            if self._shutdown and method != T.EXIT:
                self._refuse(request_id, JsonRpcInvalidRequest(
                    message=f"the server is shutting down: {method} is not served"))
                return
            if method == T.INITIALIZE:
                if self._initialize_seen:
                    self._refuse(request_id, JsonRpcInvalidRequest(
                        message="the server is already initialized"))
                    return
                self._initialize_seen = True
        super().handle_message(message)

    def _refuse(self, request_id: int | str, error: JsonRpcException) -> None:
        self._send_response(request_id, None, error.to_response_error())


def _said(error: BaseException, kind: type | None) -> str:
    """What a field's own validator said (`Position.line should be in range ...`), else
    cattrs' description of the error."""
    if type(error) is ValueError and str(error):
        return str(error)
    return format_exception(error, kind)

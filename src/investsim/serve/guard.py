"""Refuse requests not addressed to this server (DNS rebinding) and pages of other sites.

A web page on another site can make the browser send requests to 127.0.0.1, or, by
pointing its own name at 127.0.0.1 (DNS rebinding), read the answers. Such requests carry
a ``Host`` that is not this server's, or an ``Origin`` that is not this page's: every HTTP
request and websocket whose ``Host`` (and ``Origin``, when sent) is not one of the names
of this server is refused with 403 before the application sees it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` values this server answers: its address and port, the loopback
    names when it listens on loopback (or on every address), and ``extra`` names."""
    names = {host if ":" not in host else f"[{host}]", *extra}
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        names.update(LOOPBACK)
    names.discard("0.0.0.0")
    names.discard("[::]")
    return frozenset(f"{n}:{port}" for n in names)


class HostGuard:
    """ASGI middleware: 403 for a request whose ``Host`` or ``Origin`` is not allowed."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = frozenset(f"http://{h}" for h in hosts)

    def allows(self, headers: dict[str, str]) -> bool:
        """Whether a request with these (lower-case) headers is addressed to this server."""
        if headers.get("host", "").lower() not in self.hosts:
            return False
        origin = headers.get("origin")
        return origin is None or origin.lower() in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.allows(headers):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b"refused: this server answers only requests to its own address (Host/Origin)\n"
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

"""Replaying whole responses of cacheable reads, as an ASGI middleware: the data is read-only while served.

A route that answers from the data alone, varying only with the URL and the Accept header, marks its
request with `mark_storable`. Its response is then kept (status 200 with an ETag, `Vary` at most `Accept`,
a body of at most `max_response` bytes) and replayed, message for message, to later GET requests with the
same path, query string and Accept header, without routing, negotiation, the guard or a query worker.
Conditional requests (If-None-Match, If-Modified-Since) always go to the application, which answers 304s.

Place it inside the access log, HEAD handling and CORS: they still run for every request. The kept
responses belong to one data version (one process serves one), so they never go stale.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.lru import LRU
from server.resultcache import MAX_BYTES, MAX_RESULT

STORABLE = "rkg.storable"  # the scope key a route sets on a request whose response may be replayed
_CONDITIONAL = (b"if-none-match", b"if-modified-since")


def mark_storable(scope: Scope) -> None:
    """Declare that this request's response depends only on its path, query string and Accept header."""
    scope[STORABLE] = True


@dataclass(frozen=True)
class Stored:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def messages(self) -> tuple[Message, Message]:
        """Fresh messages each time: outer middleware (CORS) edits the header list it is sent."""
        start = {"type": "http.response.start", "status": self.status, "headers": list(self.headers)}
        return start, {"type": "http.response.body", "body": self.body, "more_body": False}


def request_key(scope: Scope) -> Hashable | None:
    """What a replayable response may depend on; None for a request that must reach the application."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    accept = b""
    for name, value in scope["headers"]:
        if name in _CONDITIONAL:
            return None
        if name == b"accept":
            accept = value if not accept else accept + b"," + value
    return scope["path"], scope["query_string"], accept


def storable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a response may be replayed for the same key: 200, with an ETag, varying at most with Accept."""
    if status != 200:
        return False
    tagged = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"etag":
            tagged = True
        elif lowered == b"vary" and any(v.strip().lower() not in (b"accept", b"") for v in value.split(b",")):
            return False
    return tagged


class ResponseCache:
    """Keeps the marked responses (LRU: `max_entries`, `max_bytes` of bodies, headers and query strings) and
    replays them."""

    def __init__(self, app: ASGIApp, max_entries: int, max_bytes: int = MAX_BYTES, max_response: int = MAX_RESULT):
        self.app = app
        self.max_response = max_response
        self.stored: LRU[Hashable, Stored] = LRU(max_entries, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = request_key(scope) if self.stored.max_entries > 0 else None
        if key is None:
            await self.app(scope, receive, send)
            return
        hit = self.stored.get(key)
        if hit is not None:
            start, body = hit.messages()
            await send(start)
            await send(body)
            return
        await self._record(key, scope, receive, send)

    async def _record(self, key: Hashable, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] | None = []

        async def recording(message: Message) -> None:
            nonlocal start, chunks
            if message["type"] == "http.response.start":
                start = {**message, "headers": list(message.get("headers", []))}
            elif message["type"] == "http.response.body" and chunks is not None:
                chunks.append(message.get("body", b""))
                if sum(map(len, chunks)) > self.max_response:
                    chunks = None
            await send(message)

        await self.app(scope, receive, recording)
        if start is None or chunks is None or not scope.get(STORABLE):
            return
        if storable(start["status"], start["headers"]):
            body = b"".join(chunks)
            size = len(body) + len(scope["query_string"]) + sum(len(n) + len(v) for n, v in start["headers"])
            self.stored.put(key, Stored(start["status"], tuple(start["headers"]), body), size)

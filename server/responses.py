"""HTTP responses for reads: validators (ETag, Last-Modified), 304s, caching headers, and the error shape."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

CACHE_CONTROL = "public, max-age=300"
READ = ["GET"]  # read routes; HEAD is answered for every one of them by middleware.HeadAsGet


def etag(version: str, *parts: str) -> str:
    """A weak entity tag for one representation of the data at `version`."""
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12] if parts else "all"
    return f'W/"{version}-{key}"'


def read_response(
    request: Request, body: bytes, media_type: str, tag: str, modified: datetime, vary: bool = True
) -> Response:
    """A cacheable read: 304 when the client's validators match, else the body with its validators."""
    headers = {"ETag": tag, "Last-Modified": format_datetime(modified, usegmt=True), "Cache-Control": CACHE_CONTROL}
    if vary:
        headers["Vary"] = "Accept"
    if _not_modified(request, tag, modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _not_modified(request: Request, tag: str, modified: datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or tag.removeprefix("W/") in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The one error shape of the server: JSON with the status and a readable message."""
    return JSONResponse({"status": status, "error": message}, status_code=status, headers=headers)


def now() -> datetime:
    return datetime.now(UTC)

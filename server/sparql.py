"""The SPARQL 1.1 protocol: reading a query from a request and choosing how to write its results."""

from __future__ import annotations

from urllib.parse import parse_qs

from server.errors import RkgError


class ProtocolError(RkgError):
    """A request that does not follow the SPARQL protocol (HTTP 4xx)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def query_from_form(body: bytes) -> str:
    """The single `query` parameter of an application/x-www-form-urlencoded body."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ProtocolError("the request body is not valid UTF-8") from None
    return single_query(fields.get("query", []))


def single_query(values: list[str]) -> str:
    if len(values) > 1:
        raise ProtocolError("give exactly one 'query' parameter, not several")
    if not values or not values[0].strip():
        raise ProtocolError("the 'query' parameter is missing or empty")
    return values[0]


def pick(accept: str, offered: dict[str, object]) -> str | None:
    """The offered media type the Accept header prefers (RFC 9110: q-values, most specific range wins).

    Ties go to the order of `offered`; a type whose best-matching range has q=0 is refused; None when
    nothing offered is acceptable. An empty header accepts anything.
    """
    ranges = _ranges(accept) if accept.strip() else [("*/*", 1.0)]
    best, best_q = None, 0.0
    for media in offered:
        matching = [(_specificity(r), q) for r, q in ranges if _matches(r, media)]
        q = max(matching)[1] if matching else 0.0
        if q > best_q:
            best, best_q = media, q
    return best


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if media:
            ranges.append((media.lower(), q))
    return ranges


def _specificity(media_range: str) -> int:
    return 0 if media_range == "*/*" else 1 if media_range.endswith("/*") else 2


def _matches(pattern: str, media: str) -> bool:
    if pattern in ("*/*", media):
        return True
    return pattern.endswith("/*") and media.startswith(pattern[:-1])

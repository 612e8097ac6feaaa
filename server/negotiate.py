"""Content negotiation: which offered media type an Accept header (or a format parameter) asks for."""

from __future__ import annotations

from collections.abc import Iterable

from server.formats import HTML, SHORT_NAMES


def pick(accept: str, offered: Iterable[str]) -> str | None:
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


def prefers_html(accept: str) -> bool:
    """Whether a client that could have JSON asks for an HTML page instead (a browser)."""
    return pick(accept, ["application/json", HTML]) == HTML


def from_format(value: str, offered: Iterable[str]) -> str | None:
    """The media type named by a `format` parameter (a short name such as `csv`, or a media type)."""
    names = SHORT_NAMES | {"html": HTML}
    media = names.get(value.strip().lower(), value.strip().lower())
    return media if media in offered else None


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

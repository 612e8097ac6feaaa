"""Quote verification: every text selector must match its local source file exactly.

This is code, not SHACL: offsets count Unicode code points in the file decoded as UTF-8 exactly as
stored (no newline translation, nothing normalised), end exclusive; the file's SHA-256 must match.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from server.errors import InputError, RkgError
from server.project import sparql_prologue

_SELECTORS = (
    sparql_prologue()
    + """
SELECT ?owner ?source ?file ?sha ?exact ?start ?end WHERE {
  ?owner rep:evidence|oa:hasTarget ?resource .
  ?resource oa:hasSource ?source .
  ?source a rep:LocalTextSource .
  OPTIONAL { ?source rep:fileName ?file }
  OPTIONAL { ?source rep:sha256 ?sha }
  OPTIONAL { ?resource oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact }
  OPTIONAL { ?resource oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }
}
ORDER BY ?file ?start ?owner
"""
)


@dataclass(frozen=True)
class QuoteProblem:
    """A selector or source file that does not match; `owner` is the claim or mention IRI."""

    owner: str
    file: str
    start: int | None
    end: int | None
    message: str


@dataclass(frozen=True)
class QuoteCheck:
    checked: int
    problems: list[QuoteProblem]


def verify_quotes(store: ox.Store, sources: Path) -> QuoteCheck:
    """Check every quote and position selector on a local text source against the files in `sources`."""
    if not sources.is_dir():
        raise InputError(sources, "source folder not found")
    texts: dict[str, str] = {}
    problems: list[QuoteProblem] = []
    checked = 0
    for row in store.query(_SELECTORS, use_default_graph_as_union=True):
        owner, file = row["owner"].value, _text(row["file"])
        start, end = _int(row["start"]), _int(row["end"])
        if file is None:
            problems.append(QuoteProblem(owner, "", start, end, f"source {row['source'].value} has no rep:fileName"))
            continue
        if file not in texts:
            texts[file] = _read_source(sources, file, _text(row["sha"]), owner, problems)
        checked += 1
        problems.extend(_check_span(owner, file, texts[file], _text(row["exact"]), start, end))
    return QuoteCheck(checked, problems)


def _read_source(sources: Path, file: str, sha: str | None, owner: str, problems: list[QuoteProblem]) -> str:
    path = sources / file
    if not path.is_file():
        raise RkgError(
            f"{path}: the source folder {sources} has no file {file!r}, which the data names as a source "
            f"(first quoted by {owner}). Pass the folder that holds the seed texts with --sources."
        )
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if sha != digest:
        problems.append(QuoteProblem(owner, file, None, None, f"SHA-256 of {path} is {digest}, the data records {sha}"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(path, f"not valid UTF-8 ({err.reason} at byte {err.start})") from None


def _check_span(owner: str, file: str, text: str, exact: str | None, start: int | None, end: int | None):
    if exact is None or start is None or end is None:
        yield QuoteProblem(owner, file, start, end, "needs both a TextQuoteSelector and a TextPositionSelector")
        return
    if not 0 <= start < end <= len(text):
        yield QuoteProblem(owner, file, start, end, f"offsets outside the text ({len(text)} code points)")
        return
    found = text[start:end]
    if found != exact:
        yield QuoteProblem(owner, file, start, end, f"expected {exact!r} at [{start},{end}), found {found!r}")


def _text(term: object) -> str | None:
    return term.value if isinstance(term, ox.Literal) else None


def _int(term: object) -> int | None:
    try:
        return int(term.value) if isinstance(term, ox.Literal) else None
    except ValueError:
        return None

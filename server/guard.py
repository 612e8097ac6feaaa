"""Checks a query must pass before any engine sees it: nesting depth, no update, no unlisted SERVICE,
and FROM only on graphs this store holds.

The scan works on tokens (strings, comments and IRIs skipped), so keywords inside literals or IRIs and
names such as ?service or service: never trigger it. SERVICE and FROM targets are resolved with rdflib's
SPARQL parser, which applies PREFIX declarations; every spelling of a SERVICE keyword is caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from server.errors import RkgError

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "COPY", "MOVE", "ADD"}
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<comment>\#[^\n]*)
      | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
      | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
      | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
      | (?P<word>[A-Za-z_\u00c0-\uffff][A-Za-z0-9_.\-\u00b7\u00c0-\uffff]*:?[^\s{}()\[\],;]*)
      | (?P<open>[{(\[])
      | (?P<close>[})\]])
      | (?P<other>.)""",
    re.X | re.S,
)


class QueryRefused(RkgError):
    """A query this endpoint will not run; the message says why (HTTP 400)."""


@dataclass(frozen=True)
class Inspection:
    form: str
    services: tuple[str, ...]
    from_graphs: tuple[str, ...]


def tokenize(query: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, end offset) of each token that is not space or a comment."""
    for match in _TOKEN.finditer(query):
        if match.lastgroup not in ("space", "comment"):
            yield match.lastgroup or "other", match.group(), match.end()


def keywords(query: str) -> Iterator[str]:
    """Upper-cased bare keywords of a query, outside strings, comments, IRIs, variables and prefixed names."""
    for match in _TOKEN.finditer(query):
        word = match.group("word")
        if word and ":" not in word:
            yield word.upper()


def nesting_depth(query: str) -> int:
    """The deepest nesting of braces, parentheses and brackets, outside strings, comments and IRIs."""
    depth = deepest = 0
    for match in _TOKEN.finditer(query):
        if match.group("open"):
            depth += 1
            deepest = max(deepest, depth)
        elif match.group("close"):
            depth -= 1
    return deepest


def inspect(query: str, *, max_depth: int, prefixes: Mapping[str, str]) -> Inspection:
    """The query's form and the SERVICE and FROM IRIs it names; refuses updates and deep nesting."""
    if nesting_depth(query) > max_depth:
        raise QueryRefused(f"the query nests groups more than {max_depth} levels deep; simplify it")
    words = list(keywords(query))
    update = sorted(UPDATE_KEYWORDS.intersection(words))
    if update:
        raise QueryRefused(f"SPARQL Update ({', '.join(update)}) is not accepted: this endpoint is read-only")
    form = next((w for w in words if w in FORMS), "")
    if "SERVICE" not in words and "FROM" not in words:
        return Inspection(form, (), ())
    services, graphs = _resolved_iris(query, prefixes)
    return Inspection(form, services, graphs)


def _resolved_iris(query: str, prefixes: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    declared = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items() if f"{p}:" in query)
    try:
        parsed = translateQuery(parseQuery(declared + query))
    except Exception as err:  # rdflib raises many kinds; any failure means we cannot vouch for the query
        raise QueryRefused(
            f"the query uses SERVICE or FROM and could not be checked ({type(err).__name__}); "
            "remote services and graphs are only allowed when the query can be verified"
        ) from None
    services: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                services.append(str(node.get("term")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(parsed.algebra)
    dataset = parsed.algebra.get("datasetClause") or []
    graphs = tuple(str(d.get("default") or d.get("named")) for d in dataset)
    return tuple(services), graphs

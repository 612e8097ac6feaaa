"""Writing query results in the standard formats, with a row cap.

pyoxigraph serialises whole result sets only, so SELECT results are written here, row by row, up to the
cap (W3C SPARQL 1.1 Query Results JSON, XML, CSV and TSV). ASK results and RDF graphs use pyoxigraph's
writers. Everything runs in the thread (and process) that evaluated the query.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _quote  # a JSON string, non-ASCII kept
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from server.formats import GRAPH_TYPES, RESULT_TYPES

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass(frozen=True)
class Rows:
    """SELECT results read from elsewhere (an engine over HTTP): variable names and rows of terms in their order.
    `cut`: the sender stopped at a row limit of its own, so rows may follow the last one (written as truncated)."""

    variables: list[ox.Variable]
    rows: Iterable[list]
    cut: bool = False

    def __iter__(self) -> Iterator[list]:
        return iter(self.rows)


Result = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Rows | list[ox.Triple]


@dataclass(frozen=True)
class Written:
    body: bytes
    media_type: str
    count: int | None  # rows or triples written; None for ASK
    truncated: bool
    engine_limit: int | None = None  # the external engine's own row limit, when it cut the answer


def write(result: Result, media_type: str, cap: int, offset: int = 0) -> Written:
    """Serialise a query result as `media_type`, skipping `offset` rows and keeping at most `cap` rows or triples."""
    if isinstance(result, ox.QueryBoolean):
        return Written(result.serialize(format=RESULT_TYPES[media_type]), media_type, None, False)
    if isinstance(result, ox.QueryTriples | list):
        triples, truncated = _take(result, cap)
        fmt = GRAPH_TYPES[media_type]
        return Written(ox.serialize(triples, format=fmt), media_type, len(triples), truncated)
    names = [v.value for v in result.variables]
    rows, truncated = _take(itertools.islice((list(s) for s in result), offset, None), cap)  # in variable order
    truncated = truncated or (isinstance(result, Rows) and result.cut)
    writer = {
        "application/sparql-results+json": _json,
        "application/sparql-results+xml": _xml,
        "text/csv": _csv,
        "text/tab-separated-values": _tsv,
    }[media_type]
    return Written(writer(names, rows, truncated).encode("utf-8"), media_type, len(rows), truncated)


def _take(items: Iterable, cap: int) -> tuple[list, bool]:
    taken = []
    for item in items:
        if len(taken) == cap:
            return taken, True
        taken.append(item)
    return taken, False


TRUNCATION_LINK = "urn:repatriation-kg:results-truncated"


def _json(names: Sequence[str], rows: list[list], truncated: bool) -> str:
    """SPARQL JSON results, written as text: what json.dumps(..., ensure_ascii=False) would give for the
    same document, without building a dict per term (about twice as fast on thousands of rows)."""
    head: dict[str, object] = {"vars": list(names)}
    if truncated:
        head["link"] = [TRUNCATION_LINK]
    keys = [_quote(n) + ": " for n in names]
    bindings = ", ".join(
        "{" + ", ".join([key + _json_term(t) for key, t in zip(keys, row, strict=True) if t is not None]) + "}"
        for row in rows
    )
    return f'{{"head": {json.dumps(head, ensure_ascii=False)}, "results": {{"bindings": [{bindings}]}}}}'


def _json_term(term: object) -> str:
    kind = type(term)
    if kind is ox.Literal:
        value, language = _quote(term.value), term.language
        if language:
            return f'{{"type": "literal", "value": {value}, "xml:lang": {_quote(language)}}}'
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return f'{{"type": "literal", "value": {value}}}'
        return f'{{"type": "literal", "value": {value}, "datatype": {_quote(datatype)}}}'
    if kind is ox.NamedNode:
        return f'{{"type": "uri", "value": {_quote(term.value)}}}'
    if kind is ox.BlankNode:
        return f'{{"type": "bnode", "value": {_quote(term.value)}}}'
    if kind is ox.Triple:
        parts = ", ".join(f'"{k}": {_json_term(getattr(term, k))}' for k in ("subject", "predicate", "object"))
        return f'{{"type": "triple", "value": {{{parts}}}}}'
    raise TypeError(f"unexpected term {term!r}")


def _xml(names: Sequence[str], rows: list[list], truncated: bool) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    out += [f"<variable name={quoteattr(n)}/>" for n in names]
    if truncated:
        out.append(f"<link href={quoteattr(TRUNCATION_LINK)}/>")
    out.append("</head>\n<results>")
    for row in rows:
        out.append("<result>")
        out += [
            f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
            for n, t in zip(names, row, strict=True)
            if t is not None
        ]
        out.append("</result>")
    out.append("</results>\n</sparql>\n")
    return "\n".join(out)


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        parts = "".join(f"<{k}>{_xml_term(getattr(term, k))}</{k}>" for k in ("subject", "predicate", "object"))
        return f"<triple>{parts}</triple>"
    raise TypeError(f"unexpected term {term!r}")


def _csv(names: Sequence[str], rows: list[list], truncated: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if t is None else _csv_value(t) for t in row])
    return buffer.getvalue()


def _csv_value(term: object) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)


def _tsv(names: Sequence[str], rows: list[list], truncated: bool) -> str:
    lines = ["\t".join(f"?{n}" for n in names)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return "\n".join(lines) + "\n"

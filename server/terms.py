"""Short, readable forms of RDF terms for reports and tables."""

from __future__ import annotations

import pyoxigraph as ox

from server.project import PREFIXES


def compact(iri: str) -> str:
    """A prefixed name for an IRI in a known namespace, else the IRI in angle brackets."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def show(term: object) -> str:
    """One cell of a table: IRIs compacted, literals by their lexical value, blank nodes as _:id."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)

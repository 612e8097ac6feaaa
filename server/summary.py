"""Figures about the graph as a whole, for the home page: sizes and the sources with their claim counts.

The sources are chosen in a sub-select: Virtuoso 7.2 drops rows when a `*` path meets OPTIONALs in one group.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.project import sparql_prologue
from server.store import ReadStore

_COUNTS = (
    sparql_prologue()
    + """
SELECT (COUNT(DISTINCT ?claim) AS ?claims) (COUNT(DISTINCT ?source) AS ?sources) (COUNT(DISTINCT ?thing) AS ?things)
WHERE {
  { ?claim a rep:Claim } UNION { ?source a/rdfs:subClassOf* rep:SourceDocument }
  UNION { ?claim2 rep:subject ?thing }
}"""
)

_SOURCES = (
    sparql_prologue()
    + """
SELECT ?source ?title ?file ?url (COUNT(?claim) AS ?claims) WHERE {
  { SELECT DISTINCT ?source WHERE { ?source a/rdfs:subClassOf* rep:SourceDocument } }
  ?source dcterms:title ?title .
  OPTIONAL { ?source rep:fileName ?file }
  OPTIONAL { ?source schema:url ?url }
  OPTIONAL { ?claim rep:reportedIn ?source }
} GROUP BY ?source ?title ?file ?url ORDER BY DESC(?claims) STR(?title) ?source"""
)


@dataclass(frozen=True)
class SourceCount:
    iri: str
    title: str
    file: str | None
    url: str | None
    claims: int


@dataclass(frozen=True)
class Summary:
    triples: int
    claims: int
    sources: int
    things: int
    source_counts: tuple[SourceCount, ...]


def summarise(store: ReadStore, triples: int) -> Summary:
    """Counts of claims, sources and things claimed about, and each source with its number of claims."""
    (row,) = list(store.query(_COUNTS, use_default_graph_as_union=True))
    sources = tuple(
        SourceCount(
            s["source"].value,
            s["title"].value,
            s["file"].value if s["file"] else None,
            s["url"].value if s["url"] else None,
            int(s["claims"].value),
        )
        for s in store.query(_SOURCES, use_default_graph_as_union=True)
    )
    return Summary(triples, int(row["claims"].value), int(row["sources"].value), int(row["things"].value), sources)

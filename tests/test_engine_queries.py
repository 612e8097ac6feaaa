"""Every canned query gives the same rows on Virtuoso as on the embedded Oxigraph store, for the repository's data.

The query goes to Virtuoso the way the server's remote mode sends it: the project's prefixes prepended as PREFIX
lines, the dataset named explicitly (the union graph `rkg load` gives Virtuoso as the default graph, and one
named-graph-uri per graph of the build: Virtuoso's own default graph also holds its system graphs), as a form POST,
to the session's Virtuoso, loaded by `rkg load`. Rows are compared as multisets of RDF terms.
The one normalisation: GROUP_CONCAT joins its values in an order SPARQL leaves open, and the two engines choose
differently, so a concatenated column is compared as the multiset of its parts. Its language tag is also left out:
when every part has the same language tag, Oxigraph keeps it on the result ("Kazakhstan"@en in
operations-timeline's ?state), while Virtuoso returns a simple literal, as SPARQL 1.1 defines GROUP_CONCAT. No other
literal changes its form.

Virtuoso 7.2.5 evaluates `*` property paths over a default graph of several graphs wrongly: `?s
a/rdfs:subClassOf* C` joined with the rest of a query gave up to three times too many rows (the canned queries now
find the classes in a grouped sub-select); and in the run during which a new database received its first data, such
queries give no rows or one, whatever the dataset (the union graph too), until Virtuoso is restarted: the session's
Virtuoso is restarted once after its first load (tests/virtuoso.py).
"""

from __future__ import annotations

import collections
import re

import httpx
import pyoxigraph as ox
import pytest

from server.canned import bind, load_queries
from server.loading import UNION_GRAPH
from server.project import ROOT, sparql_prologue
from server.store import run_query

QUERIES = load_queries(ROOT / "queries")
_CONCAT = re.compile(
    r'GROUP_CONCAT\s*\((?:\s*DISTINCT)?[^;()]*;\s*separator\s*=\s*"((?:[^"\\]|\\.)*)"\s*\)\s*AS\s*\?(\w+)',
    re.IGNORECASE,
)
_BIND = re.compile(r"BIND\s*\((.*?)\s+AS\s+\?(\w+)\s*\)", re.IGNORECASE)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | None
Row = tuple[object, ...]
Counter = collections.Counter[Row]


def concatenated_columns(query: str) -> dict[str, str]:
    """The variables a query binds with GROUP_CONCAT, each with its separator, and those BIND derives from them."""
    found = {match.group(2): match.group(1) for match in _CONCAT.finditer(query)}
    for expression, variable in _BIND.findall(query):
        sources = [found[name] for name in re.findall(r"\?(\w+)", expression) if name in found]
        if sources:
            found[variable] = sources[0]
    return found


def normalised(variables: list[str], rows: list[tuple[Term, ...]], concatenated: dict[str, str]) -> Counter:
    """The rows as a multiset; a concatenated literal becomes the sorted tuple of its parts (its lexical form only)."""

    def cell(name: str, term: Term) -> object:
        if name in concatenated and isinstance(term, ox.Literal):
            return tuple(sorted(term.value.split(concatenated[name])))
        return term

    return collections.Counter(tuple(cell(n, t) for n, t in zip(variables, row, strict=True)) for row in rows)


def on_oxigraph(store: ox.Store, query: str) -> tuple[list[str], list[tuple[Term, ...]]]:
    result = run_query(store, query)
    variables = [v.value for v in result.variables]
    return variables, [tuple(solution[v] for v in variables) for solution in result]


def on_virtuoso(url: str, query: str, graphs: list[str]) -> tuple[list[str], list[tuple[Term, ...]]]:
    form = {"query": sparql_prologue() + query, "default-graph-uri": [UNION_GRAPH], "named-graph-uri": graphs}
    response = httpx.post(url, data=form, headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert response.status_code == 200, response.text[:500]
    result = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    variables = [v.value for v in result.variables]
    return variables, [tuple(solution[v] for v in variables) for solution in result]


@pytest.fixture(scope="module")
def graphs(store: ox.Store) -> list[str]:
    return sorted({quad.graph_name.value for quad in store})


def test_concatenated_columns_are_found():
    assert concatenated_columns(QUERIES["state-figures"].text) == {"quote": " | "}
    assert concatenated_columns(QUERIES["operations-timeline"].text) == {"state": ", "}
    assert concatenated_columns(QUERIES["contested-figures"].text) == {
        "quotesA": " | ",
        "quotesB": " | ",
        "quoteA": " | ",  # BIND (IF(?quotesA != "", ?quotesA, ?noQuote) AS ?quoteA)
        "quoteB": " | ",
    }
    assert concatenated_columns(QUERIES["camps"].text) == {}


def test_normalised_rows_ignore_only_the_order_inside_a_concatenation():
    quote = {"quote": " | "}
    a, b = ox.Literal("x | y"), ox.Literal("y | x")
    assert normalised(["quote"], [(a,)], quote) == normalised(["quote"], [(b,)], quote)
    assert normalised(["quote"], [(a,)], {}) != normalised(["quote"], [(b,)], {})
    assert normalised(["quote"], [(a,)], quote) != normalised(["quote"], [(a,), (a,)], quote)  # a multiset
    tagged, simple = ox.Literal("x", language="en"), ox.Literal("x")
    assert normalised(["q"], [(tagged,)], {}) != normalised(["q"], [(simple,)], {})  # outside a concatenation
    assert normalised(["q"], [(tagged,)], {"q": ", "}) == normalised(["q"], [(simple,)], {"q": ", "})


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_canned_query_gives_the_same_rows_on_virtuoso(name, engine_url, graphs, store):
    canned = QUERIES[name]
    query = bind(canned.text, canned.bindings({}))
    concatenated = concatenated_columns(canned.text)
    ox_vars, ox_rows = on_oxigraph(store, query)
    vt_vars, vt_rows = on_virtuoso(engine_url, query, graphs)
    assert vt_vars == ox_vars
    assert ox_rows, f"{name} returns no rows on the repository's data: nothing would be compared"
    expected, got = normalised(ox_vars, ox_rows, concatenated), normalised(vt_vars, vt_rows, concatenated)
    missing, extra = expected - got, got - expected
    assert not missing and not extra, (
        f"{name}: {len(ox_rows)} rows on Oxigraph, {len(vt_rows)} on Virtuoso; "
        f"only on Oxigraph {list(missing.elements())[:2]}; only on Virtuoso {list(extra.elements())[:2]}"
    )

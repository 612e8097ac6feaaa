"""Results written by server/results.py read back as the same solutions as Oxigraph's own writers give, for
every kind of term, and are cut at the cap with a notice."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from server.results import TRUNCATION_LINK, write

EX = "http://example.org/"
# Every kind of term, unbound values, text that needs escaping, non-ASCII, and a term repeated on every row.
QUERY = f"""SELECT ?s ?o ?opt ?same WHERE {{
  VALUES (?s ?o) {{
    (<{EX}a> "plain")
    (<{EX}b> "bonjour"@fr)
    (<{EX}c> 42)
    (<{EX}d> "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal>)
    (<{EX}e> "quote \\" backslash \\\\ tab \\t newline \\n é 中 😀")
    (<{EX}f> <{EX}iri?with=query&and#fragment>)
    (<{EX}g> UNDEF)
  }}
  OPTIONAL {{ FILTER(?s = <{EX}a>) BIND(BNODE("x") AS ?opt) }}
  OPTIONAL {{ FILTER(?s = <{EX}b>) BIND(<<( <{EX}a> <{EX}p> "nested"@en )>> AS ?opt) }}
  BIND("repeated" AS ?same)
}}"""
JSON = "application/sparql-results+json"


def solutions(body: bytes, fmt: ox.QueryResultsFormat) -> list[dict[str, str]]:
    parsed = ox.parse_query_results(body, format=fmt)
    names = [v.value for v in parsed.variables]
    out = []
    for solution in parsed:
        row = {}
        for name in names:
            term = solution[name]
            if isinstance(term, ox.BlankNode):
                row[name] = "_:blank"  # labels are the writer's choice
            elif term is not None:
                row[name] = str(term)
        out.append(row)
    return out


@pytest.mark.parametrize(
    ("media", "fmt"),
    [
        (JSON, ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ],
)
def test_every_kind_of_term_reads_back_as_oxigraph_writes_it(media, fmt):
    store = ox.Store()
    ours = write(store.query(QUERY), media, cap=100).body
    theirs = store.query(QUERY).serialize(format=fmt)
    assert solutions(ours, fmt) == solutions(theirs, fmt)
    assert len(solutions(ours, fmt)) == 7


def test_json_is_valid_and_keeps_non_ascii_text():
    body = write(ox.Store().query(QUERY), JSON, cap=100).body
    document = json.loads(body)
    assert document["head"] == {"vars": ["s", "o", "opt", "same"]}
    assert "é 中 😀".encode() in body  # not \\u escapes
    bindings = document["results"]["bindings"]
    assert bindings[0]["opt"]["type"] == "bnode" and bindings[6].keys() == {"s", "same"}
    assert bindings[1]["opt"] == {
        "type": "triple",
        "value": {
            "subject": {"type": "uri", "value": f"{EX}a"},
            "predicate": {"type": "uri", "value": f"{EX}p"},
            "object": {"type": "literal", "value": "nested", "xml:lang": "en"},
        },
    }
    assert bindings[2]["o"] == {
        "type": "literal",
        "value": "42",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }


def test_json_cut_at_the_cap_says_so():
    written = write(ox.Store().query(QUERY), JSON, cap=3)
    document = json.loads(written.body)
    assert (written.count, written.truncated) == (3, True)
    assert len(document["results"]["bindings"]) == 3 and document["head"]["link"] == [TRUNCATION_LINK]
    assert "link" not in json.loads(write(ox.Store().query(QUERY), JSON, cap=7).body)["head"]

"""Canned queries: every .rq parses, runs and answers its question on the data; parameters are typed RDF terms;
the API lists, documents, negotiates and pages them; the contested-figures and sources pages show them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from server.canned import ParameterError, bind, load_queries, parse_query_file
from server.errors import InputError
from server.project import ROOT
from server.store import run_query

QUERIES = load_queries(ROOT / "queries")
KG = "https://w3id.org/repatriation-kg/id/"

# Each query answers with at least these rows (a row matches when it has all the given values).
EXPECTED: dict[str, list[dict[str, str]]] = {
    "state-figures": [{"figure": "700", "hedge": "over"}, {"figure": "600", "hedge": "around"}],
    "contested-figures": [{"valueA": "700", "valueB": "600"}],
    "breakdown-mismatches": [{"totalValue": "600", "sumOfParts": "710"}],
    "same-figure-other-category": [{"value": "33"}],
    "names": [{"name": "Operation Zhusan"}],
    "author-voice": [{"authorValue": "700", "speakerValue": "490"}],
    "author-claims": [{"quote": "emerged as a global leader"}],
    "figures-by-category": [{"category": "children", "source": "001_66fabe85a111468d.txt", "largest": "490"}],
    "officials": [{"person": "Yerzhan Ashykbayev", "parent": "Kazakhstan"}],
    "source-claims": [{"quote": "a major source of foreign fighters", "start": "82"}],
    "entity-claims": [{"role": "about it", "value": "700"}],
    "claims-by-speaker": [{"name": "Yerzhan Ashykbayev"}],
    "operations-timeline": [{"date": "2021-02-04", "operation": "Operation Jusan-5"}],
    "camps": [{"figure": "13000", "category": "women and children"}],
    "sources": [{"where": "000_a2c28f2115b89a4d.txt", "claims": "45"}],
    "same-figure-other-scope": [{"value": "187", "sourceA": "000_a2c28f2115b89a4d.txt"}],
    "differing-figures": [{"value": "700", "source": KG + "source-000"}, {"value": "600", "source": KG + "source-001"}],
}


def run_canned(store, name: str, **params: str) -> list[dict[str, str]]:
    query = QUERIES[name]
    result = run_query(store, bind(query.text, query.bindings(params)))
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]


def test_every_query_file_is_checked():
    assert set(EXPECTED) | {"conflicting-figures"} == set(QUERIES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_query_answers_on_the_data(store, name):
    rows = run_canned(store, name)
    assert rows, f"{name} returned no rows"
    for expected in EXPECTED[name]:
        assert any(expected.items() <= row.items() for row in rows), (expected, rows[:3])


def test_the_strict_conflict_query_runs(store):
    for row in run_canned(store, "conflicting-figures"):
        assert row["scope"] and row["valueA"] != row["valueB"]


def test_parameters_change_the_answer(store):
    sources = {r["quote"] for r in run_canned(store, "source-claims", source=KG + "source-001") if "quote" in r}
    assert "33 IS fighters" in sources and "490 children" in sources and "over 700 of its citizens" not in sources
    names = run_canned(store, "names", entity=KG + "operation-jusan")
    assert {r["entity"] for r in names} == {KG + "operation-jusan"}


@pytest.mark.parametrize(
    ("type_", "good", "bad"),
    [
        ("iri", "https://example.org/x", "not an iri"),
        ("integer", "42", "4.2"),
        ("decimal", "4.2", "four"),
        ("date", "2021-02-04", "2021-02-30"),
        ("year", "2019", "19"),
        ("boolean", "true", "yes"),
    ],
)
def test_each_parameter_type_rejects_bad_values(tmp_path, type_, good, bad):
    path = tmp_path / "q.rq"
    path.write_text(
        f"#+ title: T\n#+ summary: S\n#+ description: D\n#+ params:\n#+   - name: x\n#+     type: {type_}\n"
        "SELECT ?x WHERE { }\n",
        encoding="utf-8",
    )
    query = parse_query_file(path)
    assert query.bindings({"x": good})
    with pytest.raises(ParameterError, match="'x'"):
        query.bindings({"x": bad})


def test_values_are_bound_as_terms_not_text():
    query = QUERIES["names"]
    hostile = "https://example.org/x> } } ; DROP ALL ; #"
    with pytest.raises(ParameterError):
        query.bindings({"entity": hostile})
    text = bind(query.text, query.bindings({"entity": KG + "kazakhstan"}))
    assert f"VALUES (?entity) {{ (<{KG}kazakhstan>) }}" in text


def test_bind_also_opens_each_sub_select_that_names_the_parameter():
    text = (
        "SELECT ?c ?q WHERE { ?c rep:reportedIn ?source .\n"
        "  OPTIONAL { SELECT ?c (COUNT(?e) AS ?q) WHERE { ?c rep:reportedIn ?source ; rep:evidence ?e } GROUP BY ?c }\n"
        "  OPTIONAL { SELECT ?c (COUNT(?e) AS ?n) WHERE { ?c rep:evidence ?e } GROUP BY ?c } }"
    )
    block = f"VALUES (?source) {{ (<{KG}source-000>) }}"
    bound = bind(text, {ox.Variable("source"): ox.NamedNode(KG + "source-000")})
    assert bound.count(block) == 2
    assert bound.startswith(f"SELECT ?c ?q WHERE {{ {block} ?c rep:reportedIn ?source")
    assert f"WHERE {{ {block} ?c rep:reportedIn ?source ; rep:evidence ?e }}" in bound
    assert "WHERE { ?c rep:evidence ?e }" in bound  # a sub-select without ?source is left alone
    assert bind(text, {}) == text


def test_a_bad_header_names_the_file_and_line(tmp_path):
    path = tmp_path / "bad.rq"
    path.write_text("#+ title: T\n#+ summary: [unclosed\nSELECT * {}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.rq:2"):
        parse_query_file(path)


# ---------------------------------------------------------------- over HTTP


def test_the_list_in_json_and_html(server_url):
    listed = httpx.get(f"{server_url}/queries").json()
    assert {q["name"] for q in listed} == set(QUERIES)
    names = next(q for q in listed if q["name"] == "names")
    assert names["params"][0]["type"] == "iri" and names["sparql"] == "/queries/names.rq"
    html = httpx.get(f"{server_url}/queries", headers={"Accept": "text/html"}).text
    assert all(f'href="/queries/{name}"' in html for name in QUERIES)


def test_openapi_documents_every_query_with_its_parameters(server_url):
    spec = httpx.get(f"{server_url}/openapi.json").json()
    for name, query in QUERIES.items():
        operation = spec["paths"][f"/queries/{name}"]["get"]
        assert operation["summary"] == query.title
        documented = {p["name"]: p for p in operation["parameters"]}
        assert {"page", "per_page", "format"} <= set(documented)
        for param in query.params:
            assert documented[param.name]["schema"]["type"] in {"string", "integer", "number", "boolean"}
            if param.example:
                assert documented[param.name]["example"] == param.example
    state = {p["name"]: p for p in spec["paths"]["/queries/state-figures"]["get"]["parameters"]}["state"]
    assert state["schema"]["type"] == "string" and state["schema"]["format"] == "uri"
    assert state["schema"]["default"] == KG + "kazakhstan"
    assert state["schema"]["enum"] == [KG + s for s in ("kazakhstan", "kyrgyzstan", "tajikistan", "uzbekistan")]


def test_a_bad_value_is_a_400_naming_the_parameter(server_url):
    response = httpx.get(f"{server_url}/queries/state-figures", params={"state": "Kazakhstan"})
    assert response.status_code == 400 and "'state'" in response.json()["error"]
    response = httpx.get(f"{server_url}/queries/state-figures", params={"state": KG + "syria"})
    assert response.status_code == 400 and "is not one of" in response.json()["error"]
    response = httpx.get(f"{server_url}/queries/state-figures", params={"country": KG + "kazakhstan"})
    assert response.status_code == 400 and "'country'" in response.json()["error"]
    assert httpx.get(f"{server_url}/queries/state-figures", params={"page": "0"}).status_code == 400


def test_results_in_json_csv_and_html(server_url):
    url = f"{server_url}/queries/state-figures"
    first = httpx.get(url)
    assert first.status_code == 200, first.text
    bindings = first.json()["results"]["bindings"]
    assert any(b["figure"]["value"] == "700" for b in bindings)
    rows = list(csv.DictReader(io.StringIO(httpx.get(url, params={"format": "csv"}).text)))
    assert len(rows) == len(bindings)
    html = httpx.get(url, headers={"Accept": "text/html"}).text
    assert "<table" in html and "over 700 of its citizens" in html and "/editor?" in html


def test_paging_is_stable_with_link_headers(server_url):
    url = f"{server_url}/queries/source-claims"
    whole = httpx.get(url, params={"per_page": 6}).json()["results"]["bindings"]
    first = httpx.get(url, params={"per_page": 3})
    second = httpx.get(url, params={"per_page": 3, "page": 2})
    assert first.json()["results"]["bindings"] + second.json()["results"]["bindings"] == whole
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    assert 'rel="prev"' in second.headers["link"]


def test_the_sparql_text_is_served(server_url):
    response = httpx.get(f"{server_url}/queries/names.rq")
    assert response.text == (ROOT / "queries" / "names.rq").read_text(encoding="utf-8")


def test_contested_page_shows_figures_side_by_side(server_url):
    html = httpx.get(f"{server_url}/contested", params={"subject": KG + "kazakhstan"}).text
    assert "over 700" in html and "around 600" in html
    assert "001_66fabe85a111468d.txt" in html and "over 700 of its citizens" in html
    assert "Uzbekistan" in html  # in the list of subjects to choose from
    everything = httpx.get(f"{server_url}/contested").text
    assert len(everything) > len(html) and "al-Hol camp" in everything


def test_sources_page(server_url):
    html = httpx.get(f"{server_url}/sources").text
    assert "000_a2c28f2115b89a4d.txt" in html and "<table" in html


def test_query_files_have_their_header(tmp_path):
    for path in sorted((ROOT / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#+ title:"), path
        assert Path(path).stem in QUERIES

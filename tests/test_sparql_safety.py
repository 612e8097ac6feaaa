"""Safety by default: bad requests get readable 4xx, updates and SERVICE are refused, a runaway query is
stopped while other clients are served, results are capped with a notice, CORS allows reads."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest

from tests.conftest import serving

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# 10^8 pairs compared as strings: minutes of work for either engine (Virtuoso refuses a bigger cross product
# outright, by its cost estimate).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(STR(?c) < STR(?f)) }"


def triple_count(url: str) -> int:
    return int(httpx.get(f"{url}/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    ("request_args", "status", "message"),
    [
        ({"method": "GET", "params": {"query": "SELECT ?x WHERE { ?x "}}, 400, "SPARQL syntax error"),
        ({"method": "GET", "params": {"query": "  "}}, 400, "empty"),
        ({"method": "GET", "params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "more than one"),
        ({"method": "POST", "content": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415, "content type"),
        ({"method": "POST", "content": b"ASK {}"}, 415, "content type"),
        ({"method": "POST", "content": b"", "headers": {"Content-Type": "application/sparql-query"}}, 400, "empty"),
        ({"method": "POST", "data": {"other": "x"}}, 400, "no 'query'"),
        (
            {"method": "POST", "content": b"ASK {} \xff", "headers": {"Content-Type": "application/sparql-query"}},
            400,
            "not valid utf-8",
        ),
        (
            {
                "method": "POST",
                "params": {"query": "ASK {}"},
                "content": b"ASK {}",
                "headers": {"Content-Type": "application/sparql-query"},
            },
            400,
            "both in the URL and in the request body",
        ),
        ({"method": "GET", "params": {"query": "ASK {}", "timeout": "soon"}}, 400, "timeout"),
        ({"method": "GET", "params": {"query": "ASK {}", "format": "pdf"}}, 400, "format"),
        (
            {"method": "GET", "params": {"query": "ASK {}", "default-graph-uri": "http://example.org/remote"}},
            400,
            "names no graph of this store",
        ),
        ({"method": "GET", "params": {"query": "SELECT * FROM <http://example.org/g> { ?s ?p ?o }"}}, 400, "no graph"),
        ({"method": "GET", "params": {"query": "SELECT * WHERE " + "{" * 100 + "}" * 100}}, 400, "nests"),
    ],
    ids=[
        "syntax",
        "empty",
        "two-queries",
        "content-type",
        "no-content-type",
        "empty-body",
        "form-without-query",
        "undecodable",
        "query-twice",
        "bad-timeout",
        "bad-format",
        "remote-default-graph",
        "remote-from",
        "deep",
    ],
)
def test_bad_requests_get_a_readable_4xx(server_url, request_args, status, message):
    request_args = dict(request_args)  # a copy: the same parameters run once per backend
    method = request_args.pop("method")
    response = httpx.request(method, f"{server_url}/sparql", **request_args)
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status and message.lower() in body["error"].lower()
    assert "Traceback" not in response.text


def test_a_syntax_error_says_where(server_url):
    response = httpx.get(f"{server_url}/sparql", params={"query": "SELECT ?x WHERE {\n ?x ?y }"})
    assert response.status_code == 400 and "2:" in response.json()["error"]


def test_a_huge_body_is_413(server_url):
    body = b"query=" + b"A" * 1_100_000
    response = httpx.post(
        f"{server_url}/sparql", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "request_args",
    [
        {"method": "POST", "data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {
            "method": "POST",
            "content": b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
            "headers": {"Content-Type": "application/sparql-update"},
        },
        {"method": "POST", "data": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"method": "GET", "params": {"query": "DELETE WHERE { ?s ?p ?o }"}},
        {"method": "GET", "params": {"query": "LOAD <http://example.org/data.ttl>"}},
        {"method": "GET", "params": {"query": "CLEAR ALL"}},
    ],
    ids=["update-param", "update-body", "insert-as-query", "delete-as-query", "load", "clear"],
)
def test_updates_are_refused_and_the_graph_is_unchanged(server_url, request_args):
    before = triple_count(server_url)
    request_args = dict(request_args)  # a copy: the same parameters run once per backend
    method = request_args.pop("method")
    response = httpx.request(method, f"{server_url}/sparql", **request_args)
    assert response.status_code == 400 and "read-only" in response.json()["error"]
    assert triple_count(server_url) == before


@pytest.mark.parametrize(
    "service",
    [
        "SERVICE <http://127.0.0.1:1/sparql>",
        "service silent <http://127.1/sparql>",
        "SeRvIcE <http://2130706433/sparql>",
        "SERVICE <https://user:pw@example.org/sparql>",
        "SERVICE ?endpoint",
    ],
)
def test_service_is_refused_in_every_spelling(server_url, service):
    query = f"SELECT * WHERE {{ OPTIONAL {{ {service} {{ ?s ?p ?o }} }} }}"
    response = httpx.get(f"{server_url}/sparql", params={"query": query})
    assert response.status_code == 400 and "SERVICE" in response.json()["error"]


def test_service_word_in_a_string_or_name_is_not_refused(server_url):
    query = 'PREFIX service: <urn:x:> SELECT ?service WHERE { BIND("SERVICE <http://x/>" AS ?service) } # SERVICE'
    assert httpx.get(f"{server_url}/sparql", params={"query": query}).status_code == 200


def test_an_allow_listed_service_is_called(server_url):
    target = f"{server_url}/sparql"
    with serving(service_allowlist=(target,), workers=1) as url:
        pattern = "<https://w3id.org/repatriation-kg/id/kazakhstan> <http://www.w3.org/2000/01/rdf-schema#label> ?l"
        query = f"SELECT ?l WHERE {{ SERVICE <{target}> {{ {pattern} }} }}"
        response = httpx.get(f"{url}/sparql", params={"query": query}, timeout=20)
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"][0]["l"]["value"] == "Kazakhstan"


def test_a_runaway_query_is_stopped_and_others_are_served(server_url):
    """Two runaway queries run to the 3 s limit; meanwhile simple queries keep being answered."""
    outcomes: list[tuple[int, float]] = []

    def runaway() -> None:
        start = time.monotonic()
        status = httpx.get(f"{server_url}/sparql", params={"query": RUNAWAY}, timeout=30).status_code
        outcomes.append((status, time.monotonic() - start))

    threads = [threading.Thread(target=runaway) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    latencies = []
    while any(t.is_alive() for t in threads) and len(latencies) < 200:
        start = time.monotonic()
        response = httpx.get(f"{server_url}/sparql", params={"query": "ASK { ?s ?p ?o }", "format": "json"})
        assert response.status_code == 200
        latencies.append(time.monotonic() - start)
    for t in threads:
        t.join()
    assert [status for status, _ in outcomes] == [503, 503]
    assert all(2.5 < seconds < 10 for _, seconds in outcomes)
    assert len(latencies) >= 5 and statistics.median(latencies) < 0.5
    message = httpx.get(f"{server_url}/sparql", params={"query": RUNAWAY, "timeout": "0.5"}, timeout=30).json()
    assert "stopped after 0.5 s" in message["error"]


def test_the_result_cap_truncates_with_a_notice():
    with serving(result_cap=5, workers=1) as url:
        response = httpx.get(f"{url}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert len(response.json()["results"]["bindings"]) == 5
        assert "first 5" in response.headers["x-result-truncated"]
        assert response.json()["head"]["link"] == ["urn:repatriation-kg:results-truncated"]
        small = httpx.get(f"{url}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2"})
        assert "x-result-truncated" not in small.headers


def test_cors_for_reads_and_preflight(server_url):
    origin = {"Origin": "http://example.org"}
    response = httpx.get(f"{server_url}/sparql", params={"query": "ASK {}"}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        f"{server_url}/sparql",
        headers=origin | {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]


def test_unknown_paths_are_a_readable_404(server_url):
    response = httpx.get(f"{server_url}/no/such/page")
    assert response.status_code == 404 and response.json()["error"]

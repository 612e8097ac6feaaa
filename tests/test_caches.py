"""Answers kept for reuse on read-only data: the bounded LRU, the replay of whole responses, the kept query
results, and what must still reach the application (conditional requests, failures, other queries)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from server.executor import Job, QueryTimeout
from server.lru import LRU
from server.responsecache import ResponseCache, mark_storable, request_key, storable
from server.resultcache import ResultCache, job_key
from server.results import Written
from tests.conftest import serving_app

ASK = "ASK { ?s ?p ?o }"
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/repatriation-kg/id/kazakhstan> ?p ?o } ORDER BY ?p ?o"
JSON = "application/sparql-results+json"
T = TypeVar("T")


# ------------------------------------------------------------------ the LRU


def test_the_least_recently_used_entry_goes_first():
    lru: LRU[str, int] = LRU(max_entries=2, max_bytes=100)
    lru.put("a", 1, 1)
    lru.put("b", 2, 1)
    assert lru.get("a") == 1  # now b is the least recently used
    lru.put("c", 3, 1)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
    assert (lru.hits, lru.misses) == (3, 1)


def test_the_lru_is_bounded_by_bytes_and_refuses_what_cannot_fit():
    lru: LRU[str, str] = LRU(max_entries=10, max_bytes=10)
    lru.put("a", "a", 6)
    lru.put("b", "b", 6)
    assert (len(lru), lru.size, lru.get("a")) == (1, 6, None)
    lru.put("huge", "x", 11)
    assert lru.get("huge") is None and lru.get("b") == "b"
    lru.put("b", "b2", 2)  # replacing an entry counts its new size only
    assert lru.size == 2


def test_an_lru_of_no_entries_keeps_nothing():
    lru: LRU[str, int] = LRU(max_entries=0, max_bytes=100)
    lru.put("a", 1, 1)
    assert lru.get("a") is None and len(lru) == 0


# ------------------------------------------------------------------ query results


def job(**changes: object) -> Job:
    fields: dict = {"query": ASK, "media_type": JSON, "cap": 10, "prefixes": {"kg": "https://example.org/"}}
    return Job(**(fields | changes))


@pytest.mark.parametrize(
    "changed",
    [
        {"query": "ASK { ?s a ?o }"},
        {"media_type": "text/csv"},
        {"cap": 11},
        {"offset": 5},
        {"default_graphs": ("https://example.org/g",)},
        {"named_graphs": ("https://example.org/g",)},
        {"prefixes": {"kg": "https://example.org/other/"}},
    ],
)
def test_everything_that_decides_the_bytes_is_in_the_key(changed):
    assert job_key("v1", job()) == job_key("v1", job())
    assert job_key("v1", job(**changed)) != job_key("v1", job())


def test_another_data_version_is_another_key():
    assert job_key("v1", job()) != job_key("v2", job())


def test_results_larger_than_the_limit_are_not_kept():
    cache = ResultCache("v1", max_entries=10, max_result=4)
    small, large = Written(b"1234", JSON, 1, False), Written(b"12345", JSON, 1, False)
    cache.put(job(), small)
    cache.put(job(query="ASK { ?s a ?o }"), large)
    assert cache.get(job()) is small and cache.get(job(query="ASK { ?s a ?o }")) is None
    assert ResultCache("v2", max_entries=10).get(job()) is None


def test_the_query_text_counts_toward_the_bytes_kept():
    cache = ResultCache("v1", max_entries=10, max_bytes=len(ASK) + 3)
    cache.put(job(), Written(b"1234", JSON, 1, False))
    assert cache.get(job()) is None
    cache.put(job(), Written(b"123", JSON, 1, False))
    assert cache.get(job()) is not None


# ------------------------------------------------------------------ whole responses, with a stand-in application


def scope(query: bytes = b"query=x", method: str = "GET", **headers: str) -> Scope:
    raw = [(name.replace("_", "-").lower().encode(), value.encode()) for name, value in headers.items()]
    return {"type": "http", "method": method, "path": "/sparql", "query_string": query, "headers": raw}


class Stand:
    """An application that counts its calls and answers with a numbered body; it marks its requests storable
    unless told not to."""

    def __init__(self, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None, mark: bool = True):
        self.calls = 0
        self.status = status
        self.headers = headers if headers is not None else [(b"etag", b'W/"1"'), (b"vary", b"Accept")]
        self.mark = mark

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        if self.mark:
            mark_storable(scope)
        await send({"type": "http.response.start", "status": self.status, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": b"answer %d" % self.calls})


def call(app: ResponseCache, request: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.start":
            message["headers"].append((b"x-added-outside", b"1"))  # as CORS does, on the list it is given

    run(app(dict(request), receive, send))
    return sent


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a loop of its own: browser tests may leave one running in this thread."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_a_marked_response_is_replayed_unchanged_without_the_application():
    stand = Stand()
    cache = ResponseCache(stand, max_entries=10)
    first, second, third = (call(cache, scope(accept=JSON)) for _ in range(3))
    assert stand.calls == 1
    seen = [(start["status"], start["headers"], body["body"], body.get("more_body", False)) for start, body in
            (first, second, third)]  # fmt: skip
    headers = [(b"etag", b'W/"1"'), (b"vary", b"Accept"), (b"x-added-outside", b"1")]  # added once, not stored
    assert seen == [(200, headers, b"answer 1", False)] * 3


@pytest.mark.parametrize(
    "other",
    [
        scope(b"query=y", accept=JSON),  # another query
        scope(accept="text/csv"),  # another format asked for
        scope(),  # no Accept header
    ],
)
def test_another_query_string_or_accept_header_reaches_the_application(other):
    stand = Stand()
    cache = ResponseCache(stand, max_entries=10)
    call(cache, scope(accept=JSON))
    assert call(cache, other)[1]["body"] == b"answer 2"


@pytest.mark.parametrize(
    "request_",
    [
        scope(accept=JSON, if_none_match='W/"1"'),
        scope(accept=JSON, if_modified_since="Sat, 21 Nov 2026 08:58:50 GMT"),
        scope(accept=JSON, method="POST"),
    ],
)
def test_conditional_requests_and_posts_always_reach_the_application(request_):
    stand = Stand()
    cache = ResponseCache(stand, max_entries=10)
    call(cache, scope(accept=JSON))
    call(cache, request_)
    call(cache, request_)
    assert stand.calls == 3
    assert request_key(request_) is None


@pytest.mark.parametrize(
    ("stand", "why"),
    [
        (Stand(mark=False), "the route did not mark it"),
        (Stand(status=400), "not a 200"),
        (Stand(headers=[(b"vary", b"Accept")]), "no ETag"),
        (Stand(headers=[(b"etag", b'W/"1"'), (b"vary", b"Accept, Cookie")]), "varies with another header"),
    ],
)
def test_what_is_not_kept(stand, why):
    cache = ResponseCache(stand, max_entries=10)
    call(cache, scope(accept=JSON))
    call(cache, scope(accept=JSON))
    assert stand.calls == 2, why


def test_storable_responses():
    assert storable(200, [(b"ETag", b'W/"1"'), (b"Vary", b"accept")])
    assert storable(200, [(b"etag", b'W/"1"')])
    assert not storable(304, [(b"etag", b'W/"1"')])
    assert not storable(200, [(b"etag", b'W/"1"'), (b"vary", b"Origin")])


def test_long_query_strings_count_toward_the_bytes_kept():
    stand = Stand()
    cache = ResponseCache(stand, max_entries=10, max_bytes=200)  # a body of 8 bytes, headers of 21
    call(cache, scope(b"query=" + b"x" * 200, accept=JSON))
    call(cache, scope(b"query=" + b"x" * 200, accept=JSON))
    call(cache, scope(accept=JSON))
    call(cache, scope(accept=JSON))
    assert stand.calls == 3


def test_a_body_larger_than_the_limit_is_not_kept():
    stand = Stand()
    cache = ResponseCache(stand, max_entries=10, max_response=5)  # the bodies are 8 bytes
    call(cache, scope(accept=JSON))
    call(cache, scope(accept=JSON))
    assert stand.calls == 2


# ------------------------------------------------------------------ the server


class Served:
    """A fresh application over the repository's graph (one query worker), the queries its workers ran, and
    errors to raise instead of running the next queries."""

    def __init__(self, client: httpx.Client, ran: list[str], failures: list[Exception]):
        self.client, self.ran, self.failures = client, ran, failures


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    from server.app import create_app
    from server.config import Settings
    from server.site import build_site

    site = build_site(Settings.load(environ={}, workers=1, **getattr(request, "param", {})))
    ran: list[str] = []
    failures: list[Exception] = []
    pool_run = site.pool.run

    async def counted(job: Job, timeout: float) -> Written:
        ran.append(job.query)
        if failures:
            raise failures.pop(0)
        return await pool_run(job, timeout)

    site.pool.run = counted  # type: ignore[method-assign]
    app = create_app(site)
    with serving_app(app) as url, httpx.Client(base_url=url) as client:
        wait_until(app.state.preparing.done)  # the canned answers prepared at start-up are not these tests' queries
        ran.clear()
        yield Served(client, ran, failures)


def wait_until(done: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def get(client: httpx.Client, query: str, **headers: str) -> httpx.Response:
    return client.get("/sparql", params={"query": query}, headers={"Accept": JSON, **headers})


def test_a_repeated_query_is_answered_with_the_same_bytes_and_headers_without_a_worker(served, caplog):
    with caplog.at_level(logging.INFO, logger="server.access"):
        first, second = get(served.client, LOOKUP), get(served.client, LOOKUP)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.headers == second.headers
    assert int(first.headers["x-result-count"]) > 0
    assert served.ran == [LOOKUP]
    assert len([r for r in caplog.records if r.name == "server.access"]) == 2  # every request is still logged


def test_a_repeated_get_is_replayed_before_the_route_and_a_post_is_not(served, monkeypatch):
    import server.endpoint

    guarded: list[str] = []
    inspect = server.endpoint.inspect

    def counted(query: str, **options: object) -> object:
        guarded.append(query)
        return inspect(query, **options)

    monkeypatch.setattr(server.endpoint, "inspect", counted)
    get(served.client, ASK)
    get(served.client, ASK)
    served.client.post("/sparql", data={"query": ASK}, headers={"Accept": JSON})
    assert guarded == [ASK, ASK]  # the second GET never reached the route; the POST did (and reused the result)
    assert served.ran == [ASK]


def test_a_changed_query_or_format_is_evaluated_again(served):
    get(served.client, LOOKUP)
    ask = get(served.client, ASK)
    xml = get(served.client, LOOKUP, Accept="application/sparql-results+xml")
    assert ask.json() == {"head": {}, "boolean": True}
    assert xml.headers["content-type"].startswith("application/sparql-results+xml") and b"<sparql" in xml.content
    assert served.ran == [LOOKUP, ASK, LOOKUP]


def test_cached_answers_keep_cors_etags_304_and_head(served):
    client = served.client
    plain = get(client, ASK)
    cross = get(client, ASK, Origin="https://example.org")
    again = get(client, ASK)
    assert cross.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in plain.headers and again.headers == plain.headers
    assert get(client, ASK, **{"If-None-Match": plain.headers["etag"]}).status_code == 304
    head = client.head("/sparql", params={"query": ASK}, headers={"Accept": JSON})
    assert head.headers["etag"] == plain.headers["etag"] and head.content == b""
    assert served.ran == [ASK]


def test_a_posted_query_reuses_the_kept_result(served):
    posted = [served.client.post("/sparql", data={"query": ASK}, headers={"Accept": JSON}) for _ in range(2)]
    assert posted[0].content == posted[1].content == get(served.client, ASK).content
    assert served.ran == [ASK]


def test_failures_and_timeouts_are_not_kept(served):
    assert [get(served.client, "SELECT * WHERE { ?s ?p }").status_code for _ in range(2)] == [400, 400]
    served.failures.append(QueryTimeout("the query was stopped after 1 s (the time limit)"))
    assert [get(served.client, ASK).status_code for _ in range(3)] == [503, 200, 200]
    assert served.ran == ["SELECT * WHERE { ?s ?p }"] * 2 + [ASK] * 2


@pytest.mark.parametrize("served", [{"result_cache": 0}], indirect=True)
def test_result_cache_0_evaluates_every_request(served):
    get(served.client, ASK)
    get(served.client, ASK)
    served.client.post("/sparql", data={"query": ASK}, headers={"Accept": JSON})
    assert served.ran == [ASK, ASK, ASK]


# ------------------------------------------------------------------ canned-query answers kept whole


class InProcess:
    """The query pool's interface over the repository's store, counting the jobs it runs."""

    def __init__(self, store: object, failures: list[Exception] | None = None):
        self.store, self.jobs, self.failures = store, [], failures or []

    async def run(self, job: Job, timeout: float) -> Written:
        from server.executor import evaluate

        self.jobs.append(job)
        if self.failures:
            raise self.failures.pop(0)
        return evaluate(self.store, job)


@pytest.fixture(scope="module")
def seed_store() -> object:
    from server.project import Layout
    from server.store import load_store

    return load_store(Layout())


def canned_text(name: str) -> str:
    from server.canned import bind, load_queries
    from server.project import ROOT

    query = load_queries(ROOT / "queries")[name]
    return bind(query.text, query.bindings({}))


@pytest.mark.parametrize("name", ["source-claims", "state-figures", "names"])
def test_pages_of_a_kept_answer_are_the_bytes_of_pages_evaluated_one_by_one(seed_store, name):
    from server.answers import Answers
    from server.executor import evaluate
    from server.project import PREFIXES

    text = canned_text(name)
    answers = Answers(InProcess(seed_store), max_entries=8)
    for media in (JSON, "text/csv", "text/tab-separated-values", "application/sparql-results+xml"):
        for offset, size in ((0, 100), (0, 3), (3, 3), (7, 1), (10_000, 5)):
            kept = run(answers.page(text, media, offset, size, 10))
            assert kept == evaluate(seed_store, Job(text, media, size, PREFIXES, offset=offset)), (media, offset)
    assert len(answers.pool.jobs) == 1  # every page, in every format, written from one evaluation


def test_one_evaluation_serves_every_page_and_format_and_concurrent_requests_share_it(seed_store):
    from server.answers import Answers

    text = canned_text("source-claims")
    answers = Answers(InProcess(seed_store), max_entries=8)

    async def many() -> list[Written]:
        first = await asyncio.gather(*(answers.page(text, JSON, 0, 5, 10) for _ in range(4)))
        later = [await answers.page(text, media, 5, 5, 10) for media in (JSON, "text/csv")]
        return [*first, *later]

    pages = run(many())
    assert len(answers.pool.jobs) == 1 and answers.pool.jobs[0].cap == answers.rows
    assert len({p.body for p in pages[:4]}) == 1 and pages[0].truncated and pages[0].count == 5


def test_pages_past_an_answer_cut_short_are_evaluated_one_by_one(seed_store):
    from server.answers import Answers

    text = canned_text("source-claims")
    answers = Answers(InProcess(seed_store), max_entries=8, rows=10)

    async def pages() -> tuple[Written, Written]:
        return await answers.page(text, JSON, 0, 5, 10), await answers.page(text, JSON, 8, 5, 10)

    inside, past = run(pages())
    assert inside.count == 5 and past.count == 5
    assert [(j.cap, j.offset) for j in answers.pool.jobs] == [(10, 0), (5, 8)]


def test_a_failed_answer_is_not_kept_and_no_answers_are_kept_with_result_cache_0(seed_store):
    from server.answers import Answers

    text = canned_text("source-claims")
    failing = Answers(InProcess(seed_store, [QueryTimeout("stopped after 1 s")]), max_entries=8)
    with pytest.raises(QueryTimeout):
        run(failing.page(text, JSON, 0, 5, 10))
    assert run(failing.page(text, JSON, 0, 5, 10)).count == 5 and len(failing.pool.jobs) == 2
    off = Answers(InProcess(seed_store), max_entries=0)
    for _ in range(2):
        run(off.page(text, JSON, 0, 5, 10))
    assert [(j.cap, j.offset) for j in off.pool.jobs] == [(5, 0), (5, 0)]


def test_the_default_answers_are_prepared_at_start_up_and_other_parameters_evaluated_once(served):
    client = served.client
    pages = [client.get("/queries/source-claims", params={"per_page": 2, "page": n}) for n in (1, 2, 3)]
    assert [p.status_code for p in pages] == [200] * 3 and served.ran == []  # kept before the first request
    assert len({p.text for p in pages}) == 3
    other = {"source": "https://w3id.org/repatriation-kg/id/source-001", "per_page": 2}
    for n in (1, 2):
        for fmt in ("json", "csv", "html"):
            assert client.get("/queries/source-claims", params=other | {"page": n, "format": fmt}).status_code == 200
    assert len(served.ran) == 1 and "source-001" in served.ran[0]


def test_a_request_waiting_for_an_answer_being_prepared_keeps_its_own_time_limit(seed_store):
    from server.answers import Answers

    class Slow(InProcess):
        async def run(self, job: Job, timeout: float) -> Written:
            await asyncio.sleep(0.5)
            return await super().run(job, timeout)

    text = canned_text("source-claims")
    answers = Answers(Slow(seed_store), max_entries=8)

    async def prepared_while_asked() -> tuple[object, object]:
        preparing = asyncio.create_task(answers.warm([text], 1))
        await asyncio.sleep(0.05)
        with pytest.raises(QueryTimeout, match=r"not ready within 0\.1 s"):
            await answers.page(text, JSON, 0, 5, 0.1)
        await preparing
        return answers.held.get(text), await answers.page(text, JSON, 0, 5, 0.1)

    kept, page = run(prepared_while_asked())
    assert kept is not None and page.count == 5 and len(answers.pool.jobs) == 1


def test_the_answers_prepared_at_start_up_are_held_when_others_come_and_go(seed_store):
    from server.answers import Answers
    from server.executor import evaluate
    from server.project import PREFIXES

    default, others = canned_text("source-claims"), [canned_text(n) for n in ("camps", "sources", "names")]
    answers = Answers(InProcess(seed_store), max_entries=1, max_bytes=10**6)

    async def visits() -> None:
        await answers.warm([default], 10)
        for text in [*others, default, *others, default]:
            await answers.page(text, JSON, 0, 5, 10)

    run(visits())
    evaluated = [job.query for job in answers.pool.jobs]
    assert evaluated.count(default) == 1 and evaluated.count(others[0]) == 2  # the others went, and came again
    whole = evaluate(seed_store, Job(default, JSON, answers.rows, PREFIXES))
    assert answers.kept.max_bytes == 10**6 - len(whole.body)  # the held answer's bytes left the LRU's room


def test_a_term_that_recurs_in_a_kept_answer_is_held_once(seed_store):
    from server.answers import parse_answer
    from server.executor import evaluate
    from server.project import PREFIXES

    text = "SELECT ?claim ?source WHERE { ?claim rep:reportedIn/rdfs:label ?source } ORDER BY ?source ?claim"
    answer = parse_answer(evaluate(seed_store, Job(text, JSON, 10_000, PREFIXES)))
    assert answer is not None and len(answer.rows) > 50
    sources = [row[1] for row in answer.rows]
    assert len({id(s) for s in sources}) == len(set(sources)) < len(sources)  # one object per distinct label


def test_an_answer_larger_than_all_that_is_kept_is_paged_by_evaluation(seed_store):
    from server.answers import Answers

    text = canned_text("source-claims")
    answers = Answers(InProcess(seed_store), max_entries=8, max_bytes=1000)
    pages = [run(answers.page(text, JSON, offset, 5, 10)) for offset in (0, 5, 10)]
    assert [p.count for p in pages] == [5, 5, 5] and len(answers.kept) == 0
    assert [(j.cap, j.offset) for j in answers.pool.jobs] == [(answers.rows, 0), (5, 5), (5, 10)]


def test_the_contested_page_is_made_once_per_subject(served, monkeypatch):
    import server.queries

    made: list[str | None] = []
    page = server.queries.contested_page

    def counted(sections: object, subjects: object, subject: str | None, **options: object) -> str:
        made.append(subject)
        return page(sections, subjects, subject, **options)

    monkeypatch.setattr(server.queries, "contested_page", counted)
    kazakhstan = {"subject": "https://w3id.org/repatriation-kg/id/kazakhstan"}
    pages = [served.client.get("/contested", params=params) for params in ({}, {}, kazakhstan, kazakhstan)]
    assert [p.status_code for p in pages] == [200] * 4
    assert pages[0].content == pages[1].content and pages[2].content == pages[3].content != pages[0].content
    assert made == [None, kazakhstan["subject"]] and served.ran == []  # the answers were prepared at start-up

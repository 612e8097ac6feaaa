"""Canned-query answers kept whole, so that each page of one is a slice rather than another evaluation.

A canned query pages its answer with LIMIT and OFFSET, and every canned query sorts it: evaluated page by page,
each page costs what the whole answer costs (at a million triples, 0.2 to 1.2 s for the queries that return
thousands of rows). The data is read-only while it is served, so the answer of a canned query with given
parameters is evaluated once, by the query pool like any other query (the request's time limit, same engine, same
guard), up to `ROWS` rows, and kept (least recently used go first). Each page, in any format, is then written from the
kept rows by the endpoint's writer: the same bytes as evaluating that page. An answer longer than `ROWS` is kept
up to there, and pages past it are evaluated one by one as before; so is every page of an answer larger than all
that is kept (`MAX_BYTES`).

At start-up the answers of the canned queries with their default parameters are made in the background, one
at a time (the other workers stay free for requests), so the first visitors of the canned queries, the
contested-figures page and the sources page do not wait for them. No client waits on those, so each may take up
to `PREPARING` seconds (on the on-disk store, see site.py, the slowest canned query takes about 10 s at a million
triples). They are held for the server's life, outside the least-recently-used entries (whose room shrinks by
their size): the defaults cover the whole graph and cost the most to evaluate again (up to a second at a million
triples), while an answer for one given entity takes milliseconds. Concurrent requests for one answer share one
evaluation, each waiting within its own time limit. With `max_entries` 0 (`--result-cache 0`) nothing is kept and
every page is evaluated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from server.errors import RkgError
from server.executor import Job, QueryPool, QueryTimeout
from server.lru import LRU
from server.memory import give_back
from server.project import PREFIXES
from server.remote import RemotePool
from server.results import Rows, Written, write

log = logging.getLogger(__name__)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
ROWS = 100_000  # rows of an answer kept; pages past them are evaluated one by one
MAX_BYTES = 64 * 2**20  # answers kept in all, counted as the size of their SPARQL JSON
JSON = "application/sparql-results+json"
PREPARING = 120.0  # seconds each answer prepared at start-up may take (a request waiting for it keeps its own limit)


@dataclass(frozen=True)
class Answer:
    """The rows of a SELECT answer in variable order (None where unbound); `complete` is False when cut at ROWS."""

    variables: list[ox.Variable]
    rows: list[list]
    complete: bool

    def covers(self, offset: int, size: int) -> bool:
        """Whether the page of `size` rows from `offset`, and the row after it, are known."""
        return self.complete or offset + size < len(self.rows)


def parse_answer(written: Written) -> Answer | None:
    """The rows of a SPARQL JSON SELECT result, read back by pyoxigraph's parser; None for an ASK result. A term
    that recurs (a source's label on each of its claims) is kept once: at a million triples the answers prepared
    at start-up hold 78 thousand distinct terms in 690 thousand cells."""
    result = ox.parse_query_results(written.body, format=ox.QueryResultsFormat.JSON)
    if isinstance(result, ox.QueryBoolean):
        return None
    once: dict[Term, Term] = {}
    rows = [[None if term is None else once.setdefault(term, term) for term in solution] for solution in result]
    return Answer(list(result.variables), rows, not written.truncated)


class Answers:
    """Whole answers of canned queries (by query text), evaluated by `pool` and written page by page."""

    def __init__(self, pool: QueryPool | RemotePool, max_entries: int, rows: int = ROWS, max_bytes: int = MAX_BYTES):
        self.pool = pool
        self.rows = rows
        self.kept: LRU[str, Answer] = LRU(max_entries, max_bytes)
        self.held: dict[str, Answer] = {}  # prepared at start-up, never dropped (their bytes leave the LRU's room)
        self.held_bytes = 0
        self.done = self.to_prepare = 0  # start-up progress (for /health): tried, of how many
        self._pending: dict[str, asyncio.Future[Answer | None]] = {}
        self._too_large: set[str] = set()  # answers larger than all that is kept: paged by evaluation, as before

    @property
    def enabled(self) -> bool:
        return self.kept.max_entries > 0

    async def page(self, query: str, media_type: str, offset: int, size: int, timeout: float) -> Written:
        """Rows `offset` to `offset + size` of the answer to `query` as `media_type` (truncated when more follow)."""
        answer = await self.answer(query, timeout) if self.enabled and query not in self._too_large else None
        if answer is None or not answer.covers(offset, size):
            return await self.pool.run(Job(query, media_type, size, PREFIXES, offset=offset), timeout)
        return write(Rows(answer.variables, answer.rows), media_type, size, offset)

    async def answer(self, query: str, timeout: float) -> Answer | None:
        """The kept answer to `query`, evaluated first if need be (once, however many ask at the same time)."""
        kept = self.held.get(query) or self.kept.get(query)
        if kept is not None:
            return kept
        pending = self._pending.get(query)
        if pending is not None:  # being evaluated for another request, or prepared: wait for it, within our limit
            try:
                return await asyncio.wait_for(asyncio.shield(pending), timeout)
            except TimeoutError:
                raise QueryTimeout(f"the answer was not ready within {timeout:g} s (the time limit)") from None
        future: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self._pending[query] = future
        try:
            written = await self.pool.run(Job(query, JSON, self.rows, PREFIXES), timeout)
            answer = await asyncio.to_thread(parse_answer, written)
        except BaseException as err:
            shared = err if isinstance(err, Exception) else QueryTimeout("the answer was interrupted; try again")
            future.set_exception(shared)
            future.exception()  # retrieved: a failure nobody else awaited is not logged as lost
            raise
        finally:
            del self._pending[query]
        if answer is not None and len(written.body) > self.kept.max_bytes:
            self._too_large.add(query)
        elif answer is not None:
            self.kept.put(query, answer, len(written.body))
        await asyncio.to_thread(give_back)  # the JSON read back is garbage now
        future.set_result(answer)
        return answer

    async def warm(self, queries: Iterable[str], timeout: float) -> None:
        """Evaluate the answers to `queries` one after another, each within `timeout` or PREPARING seconds, whichever
        is longer (no client waits on them); a failure is logged and the next one tried."""
        queries = list(queries)
        self.to_prepare += len(queries)
        started = time.monotonic()
        for query in queries:
            try:
                await self.answer(query, max(timeout, PREPARING))
            except RkgError as err:
                log.warning("could not prepare a canned answer at start-up: %s", err)
            self.hold(query)
            self.done += 1
        log.info(
            "canned answers prepared at start-up: %d of %d held (%.1f MiB) in %.1f s",
            len(self.held),
            len(queries),
            self.held_bytes / 2**20,
            time.monotonic() - started,
        )

    def hold(self, query: str) -> None:
        """Keep the answer to `query`, if it is kept, for the server's life: out of the LRU, whose room shrinks."""
        entry = self.kept.pop(query)
        if entry is not None:
            self.held[query], size = entry
            self.held_bytes += size
            self.kept.max_bytes -= size

"""Evaluating untrusted queries in worker processes that can be killed: a hard timeout that really stops
the work, and an engine crash (deep recursion) that cannot take the server down.

The parent keeps a fixed number of workers. Each request takes a free worker, sends it the job and waits
on the worker's pipe from the event loop (no thread is blocked). When the deadline passes, the worker is
killed and a fresh one started in the background; other requests keep being served by the other workers.
Workers open the store themselves (spawn start method: nothing is inherited from the threaded server).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import pickle
import struct
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import pyoxigraph as ox

from server.errors import RkgError
from server.memory import give_back, settle
from server.results import Written, write

log = logging.getLogger(__name__)
_CONTEXT = mp.get_context("spawn")


class QueryTimeout(RkgError):
    """The query ran past its time limit and was stopped (HTTP 503)."""


class QueryFailed(RkgError):
    """The engine rejected or could not evaluate the query (HTTP 400)."""


@dataclass(frozen=True)
class StoreSource:
    """How a worker opens the store: an N-Quads snapshot loaded in memory, or an on-disk store read-only."""

    path: Path
    on_disk: bool = False

    def open(self) -> ox.Store:
        if self.on_disk:
            return ox.Store.read_only(str(self.path))
        store = ox.Store()
        store.bulk_load(path=str(self.path), format=ox.RdfFormat.N_QUADS)
        return store


@dataclass(frozen=True)
class Job:
    query: str
    media_type: str
    cap: int
    prefixes: dict[str, str]
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    offset: int = 0  # rows to skip (paging); `cap` is then the page size
    query_dataset: bool = False  # the query names its own graphs with FROM / FROM NAMED


def evaluate(store: ox.Store, job: Job) -> Written:
    """Run one job on a store and serialise its result (also usable in-process, for tests and benchmarks)."""
    options: dict[str, object] = {"prefixes": job.prefixes}
    if job.default_graphs is None:
        options["use_default_graph_as_union"] = True
    else:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs is not None:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    return write(store.query(job.query, **options), job.media_type, job.cap, job.offset)


def _worker_main(source: StoreSource, jobs: Connection, replies: Connection) -> None:
    store = source.open()
    settle()
    replies.send(("ready", None))
    while True:
        try:
            job = jobs.recv()
        except EOFError:
            return
        try:
            replies.send(("ok", evaluate(store, job)))
        except SyntaxError as err:
            replies.send(("error", f"SPARQL syntax error: {err}"))
        except (OSError, ValueError, TypeError, RuntimeError) as err:
            replies.send(("error", f"the query could not be evaluated: {err}"))
        give_back()  # after the reply is sent: a large query's memory goes back


@dataclass(eq=False)
class _Worker:
    """A worker process, the pipe its jobs go down, and the one its replies come up (read on the event loop)."""

    process: BaseProcess
    jobs: Connection
    replies: Connection
    reader: asyncio.StreamReader | None = None
    transport: asyncio.ReadTransport | None = None
    started: float = field(default_factory=time.monotonic)

    async def reply(self) -> tuple[str, object]:
        """The next reply, read without blocking the loop; `multiprocessing.Connection`'s framing is a signed
        4-byte length (-1 announces an 8-byte one) and a pickle."""
        if self.reader is None:
            loop = asyncio.get_running_loop()
            self.reader = asyncio.StreamReader(limit=2**20)
            pipe = os.fdopen(os.dup(self.replies.fileno()), "rb", buffering=0)
            self.transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(self.reader), pipe)
        (size,) = struct.unpack("!i", await self.reader.readexactly(4))
        if size == -1:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return pickle.loads(await self.reader.readexactly(size))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.jobs.close()
        self.replies.close()


class QueryPool:
    """A fixed-size pool of killable query workers."""

    def __init__(self, source: StoreSource, size: int):
        self.source = source
        self.size = size
        self._free: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self.replaced = 0

    async def start(self) -> None:
        self._free = asyncio.Queue()
        loop = asyncio.get_running_loop()
        workers = await asyncio.gather(*(loop.run_in_executor(None, self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._free.put_nowait(worker)

    async def close(self) -> None:
        for worker in list(self._all):
            self._stop(worker)

    async def run(self, job: Job, timeout: float) -> Written:
        """Evaluate `job`, waiting at most `timeout` seconds in all (queueing included)."""
        assert self._free is not None, "the pool is not started"
        deadline = time.monotonic() + timeout
        try:
            worker = await asyncio.wait_for(self._free.get(), timeout)
        except TimeoutError:
            raise QueryTimeout(f"no query worker became free within {timeout:g} s; try again later") from None
        try:
            worker.jobs.send(job)
            reply = await asyncio.wait_for(worker.reply(), max(deadline - time.monotonic(), 0.0))
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(f"the query was stopped after {timeout:g} s (the time limit)") from None
        except (EOFError, OSError, asyncio.IncompleteReadError, pickle.UnpicklingError):
            self._replace(worker)
            raise QueryFailed(
                "the query engine stopped while evaluating this query (for example on very deep nesting); "
                "the query was not completed"
            ) from None
        self._free.put_nowait(worker)
        status, payload = reply
        if status == "error":
            raise QueryFailed(payload)
        return payload

    def _spawn(self) -> _Worker:
        job_out, job_in = _CONTEXT.Pipe(duplex=False)
        reply_out, reply_in = _CONTEXT.Pipe(duplex=False)
        process = _CONTEXT.Process(target=_worker_main, args=(self.source, job_out, reply_in), daemon=True)
        process.start()
        job_out.close()
        reply_in.close()
        status, _ = reply_out.recv()  # waits until the store is open
        assert status == "ready"
        worker = _Worker(process, job_in, reply_out)
        self._all.add(worker)
        return worker

    def _stop(self, worker: _Worker) -> None:
        self._all.discard(worker)
        worker.process.kill()
        worker.process.join(5)
        worker.close()

    def _replace(self, worker: _Worker) -> None:
        self._stop(worker)
        self.replaced += 1
        log.warning("query worker %s stopped; starting a replacement", worker.process.pid)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, self._spawn)
        future.add_done_callback(self._replaced)

    def _replaced(self, future: asyncio.Future[_Worker], attempt: int = 1) -> None:
        if future.exception() is None:
            if self._free is not None:
                self._free.put_nowait(future.result())
            return
        log.error("could not start a replacement query worker (attempt %d): %r", attempt, future.exception())
        if attempt < 5:  # try again; meanwhile the other workers answer
            loop = asyncio.get_running_loop()
            retry = loop.run_in_executor(None, self._spawn)
            retry.add_done_callback(lambda f: self._replaced(f, attempt + 1))

"""Query results kept for reuse, legitimate because the data is read-only while it is served.

A result is kept as the worker wrote it (bytes, media type, count, truncation), keyed by everything that
decides those bytes: the data version, the query text, the media type, the result cap and offset, the
dataset (default and named graphs) and the predeclared prefixes. A later identical job is answered from
here without a worker. Only completed results are kept: a query that timed out or failed runs again the
next time, under that request's own time limit. A hit is answered at once, so within any time limit; a
result cut at the cap is kept with its truncation notice, and the cap is part of the key.
"""

from __future__ import annotations

from collections.abc import Hashable

from server.executor import Job
from server.lru import LRU
from server.results import Written

MAX_BYTES = 16 * 2**20  # bodies kept in all
MAX_RESULT = 256 * 2**10  # larger results are never kept: big answers would push out many small ones


def job_key(version: str, job: Job) -> Hashable:
    """What decides the bytes of a job's result on data at `version`."""
    return (
        version,
        job.query,
        job.media_type,
        job.cap,
        job.offset,
        job.default_graphs,
        job.named_graphs,
        tuple(job.prefixes.items()),
    )


class ResultCache:
    """The results of up to `max_entries` jobs on the data at `version` (least recently used go first; the
    bytes counted are the results' and the queries'); 0 keeps none."""

    def __init__(self, version: str, max_entries: int, max_bytes: int = MAX_BYTES, max_result: int = MAX_RESULT):
        self.version = version
        self.max_result = max_result
        self.kept: LRU[Hashable, Written] = LRU(max_entries, max_bytes)

    def get(self, job: Job) -> Written | None:
        return self.kept.get(job_key(self.version, job))

    def put(self, job: Job, written: Written) -> None:
        if len(written.body) <= self.max_result:
            self.kept.put(job_key(self.version, job), written, len(written.body) + len(job.query))

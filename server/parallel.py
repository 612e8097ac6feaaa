"""Run independent CPU-bound tasks in forked worker processes, which inherit what the parent has built."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")


def default_workers() -> int:
    """One worker per core the process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fork_map(function: Callable[[Task], Result], tasks: Sequence[Task], workers: int | None = None) -> list[Result]:
    """`function` over `tasks`, results in task order; tasks go to forked workers as they become free.

    `function` and whatever it reads from module globals are inherited by the workers at fork time, so large
    inputs (an rdflib graph) need not be pickled; only each task and its result are. Runs in this process
    when there is one worker, one task, or no `fork` on this platform.
    """
    count = min(workers or default_workers(), len(tasks))
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(task) for task in tasks]
    with multiprocessing.get_context("fork").Pool(count) as pool:
        return pool.map(function, tasks, chunksize=1)


def in_order(tasks: Iterable[Task], cost: Callable[[Task], float]) -> list[Task]:
    """The costliest tasks first, so that no long task starts last and keeps one worker busy alone."""
    return sorted(tasks, key=cost, reverse=True)

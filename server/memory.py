"""Giving freed memory back to the system in long-lived processes that hold a large store.

A query over a million triples can take a few hundred MiB while it runs (hash joins, sorts). The allocator keeps
that memory after the query ends, so each query worker would otherwise stay at the size of its largest query so
far, on top of its copy of the store: at 1M triples about 600 MiB instead of 390 MiB per worker. `trim()` asks
glibc's allocator to return its free pages (`malloc_trim`); it is a no-op where there is no glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
GROWTH = 64 * 2**20  # a process that has grown this much past its settled size gives memory back
_settled = 0  # this process's size after its last trim


@functools.cache
def _malloc_trim() -> ctypes._CFuncPtr | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def trim() -> None:
    """Return the allocator's free memory to the system (glibc), or do nothing."""
    malloc_trim = _malloc_trim()
    if malloc_trim is not None:
        malloc_trim(0)


def resident_bytes() -> int:
    """This process's resident memory (Linux /proc/self/statm), or 0 where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def settle() -> None:
    """Trim, and take this process's size now as the size to grow from (after start-up, after a trim)."""
    global _settled
    trim()
    _settled = resident_bytes()


def give_back() -> None:
    """After large work (a query, a big page): trim if the process has grown by GROWTH since it last settled."""
    if resident_bytes() > _settled + GROWTH:
        settle()

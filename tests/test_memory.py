"""Long-lived processes give freed memory back: server/memory.py, used by the query workers and at start-up."""

from __future__ import annotations

import sys

import pytest

from server.memory import resident_bytes, trim

MiB = 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and trims glibc's heap")
def test_freed_memory_stays_resident_until_trimmed():
    before = resident_bytes()
    kept, freed = [], []
    for i in range(100_000):  # 2 KB blocks, every tenth kept: the freed ones are holes the heap cannot shrink past
        (kept if i % 10 == 9 else freed).append(bytes(2000 + i % 7))
    grown = resident_bytes() - before
    freed.clear()
    held = resident_bytes() - before
    trim()
    trimmed = resident_bytes() - before
    assert grown > 150 * MiB and held > 150 * MiB  # freeing alone gives nothing back
    assert trimmed < held - 100 * MiB  # trimming does
    assert len(kept) == 10_000

"""Long-lived processes give freed memory back: server/memory.py, used by the query workers and at start-up."""

from __future__ import annotations

import sys

import pytest

from server.memory import give_back, resident_bytes, settle, trim

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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and trims glibc's heap")
def test_a_process_gives_back_only_once_it_has_grown_past_its_settled_size():
    settle()
    settled = resident_bytes()
    small = [bytes(2000) for _ in range(1000)]  # 2 MB: under the growth that triggers a trim
    give_back()
    kept, freed = [], []
    for i in range(100_000):
        (kept if i % 10 == 9 else freed).append(bytes(2000 + i % 7))
    freed.clear()
    held = resident_bytes()
    give_back()
    assert held - settled > 150 * MiB and resident_bytes() < held - 100 * MiB
    assert len(small) + len(kept) == 11_000

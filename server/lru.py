"""A least-recently-used map bounded by its number of entries and by the total size of its values."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `max_entries` values and `max_bytes` of their sizes (as given to `put`); the least recently used
    go first. A value larger than `max_bytes` on its own is not kept; `max_entries` 0 keeps nothing."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def pop(self, key: K) -> tuple[V, int] | None:
        """Take the value of `key` out, with its size (None when absent)."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= entry[1]
        return entry

    def put(self, key: K, value: V, size: int) -> None:
        if self.max_entries < 1 or size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._entries[key] = (value, size)
        self.size += size
        while len(self._entries) > self.max_entries or self.size > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= dropped

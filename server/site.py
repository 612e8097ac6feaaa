"""Everything the server serves, prepared once at start-up: the validated store, its version and dumps."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from server.build import dump
from server.config import Settings
from server.errors import RkgError
from server.executor import QueryPool, StoreSource
from server.store import data_version, persistent_store
from server.validation import Report, validate


class InvalidData(RkgError):
    """The graph does not validate: the server refuses to start."""

    exit_code = 1

    def __init__(self, report: Report):
        super().__init__("the graph does not validate:\n" + "\n".join(report.lines()))
        self.report = report


@dataclass
class Site:
    settings: Settings
    store: ox.Store
    triples: int
    version: str
    modified: datetime
    pool: QueryPool
    graphs: frozenset[str]
    _dumps: dict[str, bytes] = field(default_factory=dict)

    def close(self) -> None:
        """Release the store (an on-disk store is locked while open) and remove the workers' snapshot."""
        self.store = ox.Store()
        self._dumps.clear()
        if not self.pool.source.on_disk:
            shutil.rmtree(self.pool.source.path.parent, ignore_errors=True)

    @functools.cached_property
    def context_file(self) -> bytes:
        """ontology/context.jsonld as it is published (read once)."""
        return self.settings.layout.context.read_bytes()

    @functools.cached_property
    def context(self) -> dict:
        """The JSON-LD context (the `@context` object of the context file)."""
        return json.loads(self.context_file)["@context"]

    def dump(self, ext: str) -> bytes:
        """One dump file of the whole graph (made on first request, then kept)."""
        if ext not in self._dumps:
            self._dumps[ext] = dump(self.store, ext, self.context)
        return self._dumps[ext]


def build_site(settings: Settings) -> Site:
    """Validate the graph (refusing invalid data), open the store, and prepare the query workers' source."""
    report, store = validate(settings.layout, settings.sources, settings.cache)
    if not report.conforms:
        raise InvalidData(report)
    layout = settings.layout
    version = data_version(layout)
    modified = datetime.fromtimestamp(max(p.stat().st_mtime for p, _ in layout.graph_files()), UTC)
    if settings.store_path is not None:
        store = persistent_store(settings.store_path, store, version)
        source = StoreSource(settings.store_path, on_disk=True)
    else:
        snapshot = Path(tempfile.mkdtemp(prefix="rkg-")) / "snapshot.nq"
        store.dump(str(snapshot), format=ox.RdfFormat.N_QUADS)
        source = StoreSource(snapshot)
    graphs = frozenset(g.value for g in store.named_graphs())
    return Site(settings, store, report.triples, version, modified, QueryPool(source, settings.workers), graphs)

"""Settings: one object, read from the environment (RKG_*) and overridden by command-line flags."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from server.errors import RkgError
from server.project import BASE_IRI, ROOT, Layout

# Each setting: the environment variable that sets it, and how its text is parsed.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], object]]] = {
    "ontology": ("RKG_ONTOLOGY", Path),
    "data": ("RKG_DATA", Path),
    "shapes": ("RKG_SHAPES", Path),
    "queries": ("RKG_QUERIES", Path),
    "cache": ("RKG_CACHE", Path),
    "sources": ("RKG_SOURCES", Path),
    "host": ("RKG_HOST", str),
    "port": ("RKG_PORT", int),
    "base_iri": ("RKG_BASE_IRI", str),
    "query_timeout": ("RKG_QUERY_TIMEOUT", float),
    "result_cap": ("RKG_RESULT_CAP", int),
    "max_body": ("RKG_MAX_BODY", int),
    "workers": ("RKG_WORKERS", int),
    "http_workers": ("RKG_HTTP_WORKERS", int),
    "result_cache": ("RKG_RESULT_CACHE", int),
    "cors_origins": ("RKG_CORS_ORIGINS", lambda text: tuple(o.strip() for o in text.split(",") if o.strip())),
    "service_allowlist": ("RKG_SERVICE_ALLOWLIST", lambda text: tuple(u.strip() for u in text.split(",") if u.strip())),
    "store_path": ("RKG_STORE", Path),
    "memory_limit": ("RKG_MEMORY_LIMIT", int),
    "max_depth": ("RKG_MAX_DEPTH", int),
    "engine": ("RKG_ENGINE", str),
    "isql": ("RKG_ISQL", str),
    "engine_user": ("RKG_ENGINE_USER", str),
    "load_dir": ("RKG_LOAD_DIR", Path),
}


@dataclass(frozen=True)
class Settings:
    """Where the graph comes from, how it is checked and how it is served. Every field has a safe default."""

    ontology: Path = ROOT / "ontology"
    data: Path = ROOT / "data"
    shapes: Path = ROOT / "shapes"
    queries: Path = ROOT / "queries"
    cache: Path | None = ROOT / ".cache"  # SHACL results by data hash; None checks every time
    sources: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    base_iri: str = BASE_IRI  # the public base of the data's IRIs; the server answers for its paths
    query_timeout: float = 10.0  # seconds; a request may ask for less with ?timeout=
    result_cap: int = 10_000  # rows (or triples) per result; more are cut with a notice
    max_body: int = 1_000_000  # bytes of a POST body
    workers: int = 3  # query worker processes; a runaway query occupies one until its timeout
    http_workers: int = 1  # server processes answering HTTP, each with its own query workers
    result_cache: int = 512  # query results kept per HTTP worker (the data is read-only); 0 keeps none
    cors_origins: tuple[str, ...] = ("*",)  # origins allowed to read with CORS
    service_allowlist: tuple[str, ...] = ()  # SERVICE endpoints a query may call (none by default)
    store_path: Path | None = None  # an on-disk store: loaded once, reopened on restart
    memory_limit: int = 1024  # MiB for the graph's copies in memory (server + workers); past it: on disk (site.py)
    max_depth: int = 64  # deepest nesting of groups a query may use
    engine: str | None = None  # an external SPARQL engine's endpoint: rkg load fills it, rkg serve serves from it
    isql: str | None = None  # its SQL port, host:port (Virtuoso's isql); default: port 1111 on the engine's host
    engine_user: str = "dba"  # the engine's SQL user; the password comes from an environment variable
    load_dir: Path | None = None  # a folder the engine may read (DirsAllowed); default: asked from the engine

    @property
    def layout(self) -> Layout:
        return Layout(ontology=self.ontology, data=self.data, shapes=self.shapes)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then environment variables, then explicit overrides (flags) that are not None."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name, parse = ENVIRONMENT[f.name]
            raw = overrides.get(f.name)
            if raw is None and name in env:
                raw = env[name]
            if raw is None:
                continue
            if isinstance(raw, list):  # repeated command-line flags
                raw = tuple(raw)
            try:
                values[f.name] = parse(raw) if isinstance(raw, str) else raw
            except ValueError:
                raise RkgError(f"setting {f.name} ({name}): {raw!r} is not valid") from None
        numbers = {
            k: values.get(k, getattr(cls, k))
            for k in ("query_timeout", "result_cap", "max_body", "workers", "http_workers", "memory_limit")
        }
        for key, number in numbers.items():
            if not number > 0:
                raise RkgError(f"setting {key} ({ENVIRONMENT[key][0]}) must be positive, not {number!r}")
        cache = values.get("result_cache", cls.result_cache)
        if not (isinstance(cache, int) and cache >= 0):
            raise RkgError(f"setting result_cache (RKG_RESULT_CACHE) must be 0 or more, not {cache!r}")
        return replace(cls(), **values)

    def environment(self) -> dict[str, str]:
        """These settings as RKG_* variables, so that another process (an HTTP worker) loads the same ones."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[ENVIRONMENT[f.name][0]] = ",".join(value) if isinstance(value, tuple) else str(value)
        return out

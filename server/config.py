"""Settings: one object, read from the environment (RKG_*) and overridden by command-line flags."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from server.errors import RkgError
from server.project import ROOT, Layout

# Each setting: the environment variable that sets it, and how its text is parsed.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], object]]] = {
    "ontology": ("RKG_ONTOLOGY", Path),
    "data": ("RKG_DATA", Path),
    "shapes": ("RKG_SHAPES", Path),
    "sources": ("RKG_SOURCES", Path),
    "host": ("RKG_HOST", str),
    "port": ("RKG_PORT", int),
}


@dataclass(frozen=True)
class Settings:
    """Where the graph comes from, how it is checked and how it is served. Every field has a safe default."""

    ontology: Path = ROOT / "ontology"
    data: Path = ROOT / "data"
    shapes: Path = ROOT / "shapes"
    sources: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000

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
            try:
                values[f.name] = parse(raw) if isinstance(raw, str) else raw
            except ValueError:
                raise RkgError(f"setting {f.name} ({name}): {raw!r} is not a valid {parse.__name__}") from None
        return replace(cls(), **values)

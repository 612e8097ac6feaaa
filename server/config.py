"""Settings: one object, read from the environment (RKG_*) and overridden by command-line flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from server.project import ROOT, Layout


@dataclass(frozen=True)
class Settings:
    """Where the graph comes from and how it is checked. Every field has a safe default."""

    ontology: Path = field(default=ROOT / "ontology", metadata={"env": "RKG_ONTOLOGY"})
    data: Path = field(default=ROOT / "data", metadata={"env": "RKG_DATA"})
    shapes: Path = field(default=ROOT / "shapes", metadata={"env": "RKG_SHAPES"})
    sources: Path | None = field(default=None, metadata={"env": "RKG_SOURCES"})

    @property
    def layout(self) -> Layout:
        return Layout(ontology=self.ontology, data=self.data, shapes=self.shapes)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then environment variables, then explicit overrides (flags) that are not None."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.metadata["env"] in env:
                values[f.name] = Path(env[f.metadata["env"]])
        values.update({k: Path(v) if isinstance(v, str) else v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

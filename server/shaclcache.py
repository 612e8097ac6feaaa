"""SHACL results kept on disk under a key, as JSON; a damaged or unreadable entry counts as missing."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from server.shacl import Violation


def load(cache: Path | None, name: str) -> list[Violation] | None:
    """The results stored as `name`, or None when there are none (or they cannot be read)."""
    path = cache / f"{name}.json" if cache else None
    if path is None or not path.is_file():
        return None
    try:
        return [Violation(**fields) for fields in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError):
        return None  # a damaged cache entry is ignored and rewritten


def save(cache: Path | None, name: str, results: list[Violation]) -> None:
    """Store `results` as `name`, written whole or not at all (a temporary file, then a rename)."""
    if cache is None:
        return
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{name}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps([asdict(r) for r in results]), encoding="utf-8")
    temporary.replace(path)

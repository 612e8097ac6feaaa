"""Shared fixtures: the repository's graph, validated once per session, and helpers to run `rkg`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from server.project import ROOT, Layout
from server.validation import Report, validate

SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout()


@pytest.fixture(scope="session")
def validated(layout: Layout) -> tuple[Report, ox.Store]:
    """The repository's graph, checked against the shapes and the seed texts."""
    return validate(layout, SEEDS)


@pytest.fixture(scope="session")
def store(validated: tuple[Report, ox.Store]) -> ox.Store:
    return validated[1]


def rkg(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the `rkg` command in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *map(str, args)], capture_output=True, text=True, cwd=ROOT, check=False
    )


def rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    """SELECT results as dicts of plain values (IRIs and lexical forms), for set comparisons."""
    from server.store import run_query

    result = run_query(store, query)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]

"""Shared fixtures: the repository's graph, validated once per session, and helpers to run `rkg`."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import uvicorn

from server.config import Settings
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


@contextmanager
def serving(**settings: object) -> Iterator[str]:
    """A real server (validated site, query workers, uvicorn) on a free loopback port; yields its base URL."""
    from server.app import create_app
    from server.site import build_site

    site = build_site(Settings.load(environ={}, **settings))
    with serving_app(create_app(site)) as url:
        yield url


@contextmanager
def serving_app(app: object) -> Iterator[str]:
    """An ASGI application served by uvicorn in a thread on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def engine_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scratch Virtuoso holding the repository's graph, loaded with `rkg load`: the engine of the remote mode."""
    from tests.virtuoso import MISSING, running

    if MISSING:
        pytest.skip(MISSING)
    with running(tmp_path_factory.mktemp("engine")) as vt:
        loaded = vt.load()
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        vt.restart()  # see Virtuoso.restart: its first run with data answers some path queries wrongly
        yield vt.url


@pytest.fixture(scope="session", params=["embedded", "virtuoso"])
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The repository's graph served with the default settings but a short query timeout: from the embedded store,
    and from Virtuoso (remote mode), so that every test of the server runs over both."""
    engine = request.getfixturevalue("engine_url") if request.param == "virtuoso" else None
    with serving(query_timeout=3.0, workers=3, engine=engine) as url:
        yield url


# Browser tests (pytest-playwright) use Debian's chromium; `playwright install` is never run (it cannot download here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright's own `base_url` fixture (used when pytest-base-url is absent) is a session fixture defined
    # as a method, which pytest 9 deprecates; the warning is harmless and `filterwarnings = error` would fail on it.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning",
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    """pytest-playwright's launch arguments, pointed at /usr/bin/chromium; browser tests skip when it is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"the browser tests need Debian's chromium at {CHROMIUM} (.ci/run installs it with apt-get)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}

"""Settings come from defaults, then the environment, then flags; bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import Settings
from server.errors import RkgError


def test_safe_defaults():
    settings = Settings.load(environ={})
    assert (settings.host, settings.port, settings.sources) == ("127.0.0.1", 8000, None)


def test_environment_then_flags():
    settings = Settings.load(environ={"RKG_PORT": "9000", "RKG_SOURCES": "/seeds"}, port=9100)
    assert settings.port == 9100 and settings.sources == Path("/seeds")


def test_a_bad_value_names_the_setting():
    with pytest.raises(RkgError, match="RKG_PORT"):
        Settings.load(environ={"RKG_PORT": "eighty"})


def test_serve_flags_reach_the_settings():
    from server.cli import SERVE_FLAGS, _parser

    args = _parser().parse_args(["serve", "--timeout", "2", "--cors-origin", "http://a", "--cors-origin", "http://b"])
    settings = Settings.load(environ={}, **{name: getattr(args, name) for name in SERVE_FLAGS})
    assert settings.query_timeout == 2.0 and settings.cors_origins == ("http://a", "http://b")
    assert settings.workers == 3


def test_non_positive_limits_are_refused():
    with pytest.raises(RkgError, match="query_timeout"):
        Settings.load(environ={"RKG_QUERY_TIMEOUT": "0"})
    with pytest.raises(RkgError, match="RKG_MEMORY_LIMIT"):
        Settings.load(environ={"RKG_MEMORY_LIMIT": "-5"})


def test_the_memory_limit_from_the_environment_and_the_command_line():
    from server.cli import SERVE_FLAGS, _parser

    assert Settings.load(environ={}).memory_limit == 1024
    assert Settings.load(environ={"RKG_MEMORY_LIMIT": "4096"}).memory_limit == 4096
    args = _parser().parse_args(["serve", "--memory-limit", "2048"])
    assert Settings.load(environ={}, **{name: getattr(args, name) for name in SERVE_FLAGS}).memory_limit == 2048


def test_the_result_cache_can_be_turned_off_but_not_negative():
    from server.cli import SERVE_FLAGS, _parser

    args = _parser().parse_args(["serve", "--result-cache", "0"])
    assert Settings.load(environ={}, **{name: getattr(args, name) for name in SERVE_FLAGS}).result_cache == 0
    assert Settings.load(environ={}).result_cache > 0
    with pytest.raises(RkgError, match="RKG_RESULT_CACHE"):
        Settings.load(environ={"RKG_RESULT_CACHE": "-1"})


def test_settings_pass_to_another_process_through_the_environment():
    settings = Settings.load(environ={}, query_timeout=2.5, cors_origins=("http://a", "http://b"), http_workers=2)
    assert Settings.load(environ=settings.environment()) == settings


def test_several_http_workers_serve_the_same_graph(tmp_path):
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from server.project import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "server.cli",
        "serve",
        "--port",
        str(port),
        "--http-workers",
        "2",
        "--workers",
        "1",
    ]
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        answers = {
            httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK { ?s ?p ?o }"}).text for _ in range(6)
        }
        assert answers == {'{"head":{},"boolean":true}'}
    finally:
        server.terminate()
        server.wait(20)

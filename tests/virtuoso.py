"""A scratch Virtuoso for the tests (scripts/virtuoso on free loopback ports, in a temporary folder)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server.engine import Engine, Isql
from tests.conftest import ROOT, SEEDS, rkg

SCRIPT = ROOT / "scripts" / "virtuoso"
MISSING = (
    None
    if shutil.which("virtuoso-t") and shutil.which("isql-vt")
    else "these tests need Virtuoso (virtuoso-t and isql-vt; .ci/run installs virtuoso-opensource with apt-get)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Virtuoso:
    def __init__(self, folder: Path):
        self.folder = folder
        self.load_dir = folder / "load"
        self.env = {**os.environ, "SQLPORT": str(free_port()), "HTTPPORT": str(free_port()), "BUFFERS": "20000"}
        self.url = f"http://127.0.0.1:{self.env['HTTPPORT']}/sparql"
        self.isql_address = f"127.0.0.1:{self.env['SQLPORT']}"
        self.engine = Engine(self.url, timeout=20)
        self.isql = Isql(self.isql_address)

    def script(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SCRIPT, command, self.folder], env=self.env, capture_output=True, text=True, timeout=90, check=False
        )

    def restart(self) -> None:
        """Stop and start again. Virtuoso 7.2.5 answers some `*` path queries wrongly (no rows, or one) in the run
        during which its database received its first data, and rightly after a restart, for good."""
        for command in ("stop", "start"):
            done = self.script(command)
            assert done.returncode == 0, done.stdout + done.stderr

    def load(self, *extra: str | Path) -> subprocess.CompletedProcess[str]:
        return rkg("load", "--engine", self.url, "--isql", self.isql_address, "--sources", SEEDS, *extra)


@contextmanager
def running(folder: Path) -> Iterator[Virtuoso]:
    """Virtuoso started in `folder` and stopped afterwards (the stop is checked)."""
    vt = Virtuoso(folder)
    try:
        started = vt.script("start")
        assert started.returncode == 0, started.stdout + started.stderr
        assert vt.script("status").stdout.startswith("running")
        yield vt
    finally:
        vt.engine.close()
        vt.script("stop")
        assert vt.script("status").stdout.strip() == "stopped"

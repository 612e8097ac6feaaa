"""An external SPARQL engine (Virtuoso): queries over the SPARQL protocol, and loading a build with its bulk loader.

Queries go over HTTP with GET, or a form POST when long (Virtuoso 7.2 hangs on a POST of
`application/sparql-query`). Loading goes through Virtuoso's SQL client `isql-vt`: each named graph is bulk-loaded
into a staging graph, its triple count is checked over SPARQL, and only when every graph is staged and checked are
the live graphs replaced, all in one SQL transaction; a failure at any step leaves the previous graphs serving.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox

from server.build import NAME
from server.errors import RkgError
from server.project import GRAPH_BASE

STAGING = "?staging="  # a staging graph is <live IRI>?staging=<token>
GET_LIMIT = 2000  # longer queries are sent as a form POST
DEFAULT_SQL_PORT = 1111  # Virtuoso's own default; scripts/virtuoso uses 21111


@dataclass(frozen=True)
class Engine:
    """A SPARQL endpoint reached over the SPARQL 1.1 protocol."""

    url: str
    timeout: float = 60.0

    def ask(self, query: str, graphs: Sequence[str] = ()) -> bool:
        """ASK; `graphs` are sent as default-graph-uri (Virtuoso's default graph is otherwise the union of all)."""
        return bool(self._request(query, "application/sparql-results+json", graphs).json()["boolean"])

    def select(
        self, query: str, graphs: Sequence[str] = ()
    ) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """The solutions as dicts of Oxigraph terms (unbound variables are left out)."""
        doc = self._request(query, "application/sparql-results+json", graphs).json()
        return [{name: _term(value) for name, value in row.items()} for row in doc["results"]["bindings"]]

    def construct(self, query: str, graphs: Sequence[str] = ()) -> list[ox.Triple]:
        body = self._request(query, "application/n-triples", graphs).content
        return [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

    def count(self, graph: str) -> int:
        """The number of triples in one named graph."""
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value)

    def graphs(self, prefix: str) -> set[str]:
        """The named graphs whose IRI starts with `prefix`."""
        rows = self.select(
            f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{prefix}")) }}'
        )
        return {row["g"].value for row in rows}

    def _request(self, query: str, accept: str, graphs: Sequence[str] = ()) -> httpx.Response:
        headers = {"Accept": accept}
        params = {"query": query, "default-graph-uri": list(graphs)}
        try:
            if len(query) <= GET_LIMIT:
                response = httpx.get(self.url, params=params, headers=headers, timeout=self.timeout)
            else:
                response = httpx.post(self.url, data=params, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException:
            raise RkgError(f"the SPARQL engine at {self.url} did not answer within {self.timeout:g} s.") from None
        except (httpx.HTTPError, ValueError) as err:
            raise RkgError(
                f"cannot reach the SPARQL engine at {self.url} ({err}). Check the URL (for example "
                "http://127.0.0.1:28890/sparql) and that the engine is running (scripts/virtuoso status DIR)."
            ) from None
        if response.status_code >= 400:
            first = (response.text.strip().splitlines() or [""])[0][:300]
            raise RkgError(f"the SPARQL engine at {self.url} answered {response.status_code}: {first}")
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if accept.endswith("json") and media != accept:
            raise RkgError(
                f"{self.url} does not look like a SPARQL endpoint: it answered {media or 'no content type'}."
            )
        return response


def _term(value: dict[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = value["type"]
    if kind == "uri":
        return ox.NamedNode(value["value"])
    if kind == "bnode":
        return ox.BlankNode(value["value"])
    if "xml:lang" in value:
        return ox.Literal(value["value"], language=value["xml:lang"])
    if "datatype" in value:  # "typed-literal" in Virtuoso's (SPARQL 1.0 style) JSON
        return ox.Literal(value["value"], datatype=ox.NamedNode(value["datatype"]))
    return ox.Literal(value["value"])


@dataclass(frozen=True)
class Isql:
    """Virtuoso's SQL client, `isql-vt HOST:PORT USER PASSWORD`, one run per call."""

    address: str  # host:port of the SQL port
    user: str = "dba"
    password: str = "dba"
    program: str = "isql-vt"

    @classmethod
    def for_engine(cls, engine_url: str, address: str | None = None, **kwargs: str) -> Isql:
        """The SQL client for an engine: its SQL port at `address`, by default Virtuoso's port 1111 on its host."""
        return cls(address or f"{urlsplit(engine_url).hostname or '127.0.0.1'}:{DEFAULT_SQL_PORT}", **kwargs)

    def run(self, sql: str, timeout: float = 600) -> list[str]:
        """Run SQL statements; the rows printed, one string per line. Any SQL error is an RkgError."""
        command = [self.program, self.address, self.user, self.password, "BANNER=OFF", "VERBOSE=OFF", "PROMPT=OFF"]
        try:
            done = subprocess.run(command, input=sql, capture_output=True, text=True, timeout=timeout, check=False)
        except FileNotFoundError:
            raise RkgError(
                f"Virtuoso's SQL client {self.program!r} is not installed or not on PATH; it is needed to bulk-load "
                "the engine (Debian: apt-get install virtuoso-opensource)."
            ) from None
        except subprocess.TimeoutExpired:
            raise RkgError(f"{self.program} at {self.address} did not finish within {timeout:g} s.") from None
        errors = [line for line in done.stderr.splitlines() if line.startswith("*** Error")]
        if errors or done.returncode != 0:
            raise RkgError(self._explain(errors[0] if errors else done.stderr.strip() or f"exit {done.returncode}"))
        return [line.rstrip() for line in done.stdout.splitlines() if line.strip()]

    def _explain(self, error: str) -> str:
        reason = error.split("]")[-1].strip() if "]" in error else error
        if "CL034" in error or "Bad login" in error:
            return (
                f"Virtuoso at {self.address} refused the login of user {self.user!r}: wrong user or password "
                "(a new scratch database has dba/dba; give the password with --password-env VAR)."
            )
        if "CL033" in error or "Connect failed" in error:
            return (
                f"cannot connect to Virtuoso's SQL port at {self.address}; is the engine running, and is this its "
                "SQL port (scripts/virtuoso uses SQLPORT, default 21111; give it with --isql HOST:PORT)?"
            )
        return f"Virtuoso ({self.address}) reported an error: {reason}"


@dataclass(frozen=True)
class GraphFile:
    """One named graph of the build, written as N-Triples for the bulk loader."""

    iri: str
    path: Path
    triples: int

    @property
    def name(self) -> str:
        return self.iri.removeprefix(GRAPH_BASE)


def write_graph_files(nquads: Path, folder: Path) -> list[GraphFile]:
    """Split the N-Quads dump into one N-Triples file per named graph (distinct triples, counted)."""
    by_graph: dict[str, set[ox.Triple]] = collections.defaultdict(set)
    try:
        for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
            by_graph[quad.graph_name.value].add(quad.triple)
    except (OSError, SyntaxError, ValueError) as err:
        raise RkgError(f"{nquads}: cannot be read as N-Quads: {err}") from None
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for iri, triples in sorted(by_graph.items()):
        if not iri.startswith(GRAPH_BASE) or STAGING in iri:
            raise RkgError(f"{nquads}: graph <{iri}> is not one of the project's graphs ({GRAPH_BASE}…)")
        path = folder / f"{iri.removeprefix(GRAPH_BASE)}.nt"
        path.write_bytes(ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES))
        files.append(GraphFile(iri, path.resolve(), len(triples)))
    return files


# One transaction: each live graph is emptied and refilled from its staging graph, then the staging graphs and the
# graphs no longer in the build are dropped. Any error rolls everything back. (SPARQL CLEAR/ADD/MOVE run from isql
# commit on their own, so they cannot be rolled back together; plain SQL on RDF_QUAD can.)
REPLACE_PROCEDURE = """
create procedure DB.DBA.RKG_REPLACE_GRAPHS (in pairs any, in drops any)
{
  declare i integer;
  declare exit handler for sqlstate '*' { rollback work; resignal; };
  log_enable (0, 1);
  for (i := 0; i < length (pairs); i := i + 2)
    {
      delete from DB.DBA.RDF_QUAD where G = iri_to_id (pairs[i], 0);
      insert soft DB.DBA.RDF_QUAD (G, S, P, O)
        select iri_to_id (pairs[i]), S, P, O from DB.DBA.RDF_QUAD where G = iri_to_id (pairs[i + 1], 0);
      delete from DB.DBA.RDF_QUAD where G = iri_to_id (pairs[i + 1], 0);
    }
  for (i := 0; i < length (drops); i := i + 1)
    delete from DB.DBA.RDF_QUAD where G = iri_to_id (drops[i], 0);
  commit work;
}
;
"""


@dataclass(frozen=True)
class LoadSummary:
    graphs: int
    triples: int
    dropped: list[str]
    seconds: float


def load_build(
    build: Path, engine: Engine, isql: Isql, echo: Callable[[str], None] = print, token: str | None = None
) -> LoadSummary:
    """Load the build in `build` (its N-Quads dump) into the engine, one named graph per data file.

    `build` must be inside a folder the engine may read (Virtuoso's DirsAllowed): the per-graph files are written
    there. Idempotent; on any error the engine keeps the graphs it had, and the staging graphs are dropped.
    """
    start = time.monotonic()
    nquads = build / f"{NAME}.nq"
    if not nquads.is_file():
        raise RkgError(f"{build}: no {NAME}.nq here (run `rkg build` first)")
    token = token or uuid.uuid4().hex[:12]
    engine.ask("ASK { }")  # reachable, and a SPARQL endpoint, before anything is written
    isql.run("select 1;")  # the SQL port and the login work
    files = write_graph_files(nquads, build / f"graphs-{token}")
    staged = {f.iri: f"{f.iri}{STAGING}{token}" for f in files}
    total = sum(f.triples for f in files)
    echo(f"loading {len(files)} graphs, {total} triples, into {engine.url} (staging token {token})")
    done_triples = 0
    try:
        for number, graph in enumerate(files, 1):
            began = time.monotonic()
            _bulk_load(isql, graph.path, staged[graph.iri])
            found = engine.count(staged[graph.iri])
            if found != graph.triples:
                raise RkgError(
                    f"graph {graph.name}: the engine holds {found} triples after loading {graph.path.name}, but the "
                    f"build has {graph.triples}; nothing was replaced, the engine keeps its previous graphs."
                )
            done_triples += graph.triples
            echo(
                f"{_bar(done_triples, total)} {number:>{len(str(len(files)))}}/{len(files)} {graph.name:<24} "
                f"{graph.triples:>8} triples  staged and checked in {time.monotonic() - began:.2f} s"
            )
        old = {g for g in engine.graphs(GRAPH_BASE) if g not in staged}
        stale = sorted(g for g in old if g not in staged.values())
        began = time.monotonic()
        pairs = [iri for graph in files for iri in (graph.iri, staged[graph.iri])]
        isql.run(REPLACE_PROCEDURE)
        isql.run(f"DB.DBA.RKG_REPLACE_GRAPHS ({_vector(pairs)}, {_vector(stale)});")
    except BaseException:
        _drop_quietly(isql, list(staged.values()))
        raise
    finally:
        _forget_files(isql, [f.path for f in files])
        shutil.rmtree(build / f"graphs-{token}", ignore_errors=True)
    dropped = [g for g in stale if STAGING not in g]
    echo(
        f"replaced {len(files)} live graphs in one transaction in {time.monotonic() - began:.2f} s"
        + (f"; dropped {len(dropped)} graphs no longer in the build: {', '.join(dropped)}" if dropped else "")
    )
    isql.run("checkpoint;")
    for graph in files:  # what is now serving
        found = engine.count(graph.iri)
        if found != graph.triples:
            raise RkgError(f"graph {graph.name}: {found} triples live after the load, expected {graph.triples}.")
    summary = LoadSummary(len(files), total, dropped, time.monotonic() - start)
    echo(f"loaded {summary.graphs} graphs, {summary.triples} triples in {summary.seconds:.1f} s")
    return summary


def _bulk_load(isql: Isql, path: Path, graph: str) -> None:
    """Virtuoso's bulk loader for one file into one graph; a parse error in the file is an RkgError."""
    isql.run(f"ld_add ({_sql(str(path))}, {_sql(graph)});\nrdf_loader_run ();\n")
    rows = isql.run(
        f"select ll_state, coalesce (ll_error, 'ok') from DB.DBA.LOAD_LIST where ll_file = {_sql(str(path))};"
    )
    state, _, error = (rows[0] if rows else "").partition(" ")
    if not rows:
        raise RkgError(
            f"Virtuoso did not register {path} for loading; is its folder listed in the engine's DirsAllowed?"
        )
    if state != "2" or error.strip() != "ok":
        raise RkgError(f"Virtuoso could not load {path.name}: {error.strip()}; the engine keeps its previous graphs.")


def _drop_quietly(isql: Isql, graphs: list[str]) -> None:
    statements = "".join(f"delete from DB.DBA.RDF_QUAD where G = iri_to_id ({_sql(g)}, 0);\n" for g in graphs)
    with contextlib.suppress(RkgError):  # best effort: a leftover staging graph is dropped by the next load
        isql.run("log_enable (3, 1);\n" + statements)


def _forget_files(isql: Isql, paths: list[Path]) -> None:
    """Remove our files from the loader's list, so the list does not grow with every load."""
    with contextlib.suppress(RkgError):
        isql.run(f"delete from DB.DBA.LOAD_LIST where ll_file in ({', '.join(_sql(str(p)) for p in paths)});")


def load_folder(isql: Isql, chosen: Path | None) -> Path:
    """The folder to write the build into: `chosen`, or the first folder of the engine's DirsAllowed we can write."""
    if chosen is not None:
        return chosen.resolve()
    rows = isql.run("select cfg_item_value (virtuoso_ini_path (), 'Parameters', 'DirsAllowed');")
    allowed = [Path(d.strip()) for d in (rows[0] if rows else "").split(",") if d.strip().startswith("/")]
    for folder in reversed(allowed):  # scripts/virtuoso lists its loader folder last
        if folder.is_dir() and _writable(folder):
            return folder
    raise RkgError(
        f"the engine's DirsAllowed ({', '.join(map(str, allowed)) or 'none'}) names no folder this machine can "
        "write to; give one the engine may read with --load-dir."
    )


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _vector(items: list[str]) -> str:
    return f"vector ({', '.join(_sql(i) for i in items)})"


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"

"""The `rkg` command: validate, build, query, serve the graph, and load it into an external engine."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from server.build import NAME, nquads, write_build
from server.config import Settings
from server.errors import InputError, RkgError
from server.formats import GRAPH_TYPES, RESULT_TYPES, SHORT_NAMES
from server.store import Result, load_store, run_query
from server.terms import show
from server.validation import validate

if TYPE_CHECKING:
    from server.engine import Engine

EXIT_INVALID = 1
SERVE_FLAGS = ("host", "port", "base_iri", "query_timeout", "result_cap", "max_body", "workers", "http_workers",
               "result_cache", "cors_origins", "service_allowlist", "store_path", "memory_limit")  # fmt: skip
LOAD_FLAGS = ("engine", "isql", "engine_user", "load_dir")
PASSWORD_ENV = "RKG_ENGINE_PASSWORD"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.getLogger("rdflib").setLevel(logging.ERROR)  # ill-typed literals are reported by the shapes instead
    try:
        settings = Settings.load(
            ontology=args.ontology,
            data=args.data,
            shapes=args.shapes,
            sources=getattr(args, "sources", None),
            **{name: getattr(args, name, None) for name in SERVE_FLAGS + LOAD_FLAGS},
        )
        return args.run(args, settings)
    except RkgError as err:
        print(f"rkg {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    report, _ = validate(settings.layout, settings.sources, None if args.no_cache else settings.cache)
    print("\n".join(report.lines()))
    return 0 if report.conforms else EXIT_INVALID


def _build(args: argparse.Namespace, settings: Settings) -> int:
    report, store = validate(settings.layout, settings.sources, settings.cache)
    if not report.conforms:
        print("\n".join(report.lines()))
        print(f"rkg build: nothing written to {args.out}: the graph does not validate.", file=sys.stderr)
        return EXIT_INVALID
    for path in write_build(store, settings.layout.context, args.out, for_engine=args.for_engine):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    print(report.lines()[-1])
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.app import create_app
    from server.site import build_site

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    site = build_site(settings)  # validates (refusing invalid data) before anything listens
    print(
        f"{site.triples} triples, data version {site.version}, from {site.serving()}; "
        f"serving http://{settings.host}:{settings.port}/sparql"
    )
    common = {"host": settings.host, "port": settings.port, "log_level": "warning", "access_log": False}
    if settings.http_workers == 1:
        uvicorn.run(create_app(site), **common)
        return 0
    site.close()  # each HTTP worker builds its own site (the SHACL results are cached) and query workers
    os.environ.update(settings.environment())
    uvicorn.run("server.app:app_from_environment", factory=True, workers=settings.http_workers, **common)
    return 0


def _load(args: argparse.Namespace, settings: Settings) -> int:
    from server.engine import Engine

    if not settings.engine:
        raise RkgError("give the engine's SPARQL endpoint with --engine URL (or RKG_ENGINE)")
    if bool(args.gsp) != bool(args.update):
        raise RkgError("--gsp and --update go together: the Graph Store endpoint, and the SPARQL Update endpoint")
    with Engine(settings.engine) as engine:
        engine.ask("ASK { }")  # a clear error now rather than after validating
        loader = _graph_store_loader(args, engine) if args.gsp else _virtuoso_loader(args, settings, engine)
        report, store = validate(settings.layout, settings.sources, settings.cache)
        if not report.conforms:
            print("\n".join(report.lines()))
            print(f"rkg load: nothing loaded into {settings.engine}: the graph does not validate.", file=sys.stderr)
            return EXIT_INVALID
        print(report.lines()[-1])
        loader(nquads(store))
    return 0


def _virtuoso_loader(args: argparse.Namespace, settings: Settings, engine: Engine) -> Callable[[bytes], object]:
    """Virtuoso's bulk loader, driven through isql: it reads the build from a folder it is allowed to read."""
    import tempfile

    from server.engine import Isql, load_build, load_folder

    assert settings.engine is not None
    password = os.environ.get(args.password_env)
    if password is None:
        if args.password_env != PASSWORD_ENV:
            raise RkgError(f"--password-env {args.password_env}: that environment variable is not set")
        password = "dba"  # Virtuoso's default, as in a new scratch database
    isql = Isql.for_engine(settings.engine, settings.isql, user=settings.engine_user, password=password)
    folder = load_folder(isql, settings.load_dir)

    def load(dump: bytes) -> object:
        try:
            with tempfile.TemporaryDirectory(dir=folder, prefix="rkg-load-") as tmp:
                os.chmod(tmp, 0o755)  # the engine may run as another user
                (Path(tmp) / f"{NAME}.nq").write_bytes(dump)  # the one dump the loader reads
                return load_build(Path(tmp), engine, isql)
        except OSError as err:
            raise RkgError(f"cannot write the build into {folder}: {err.strerror or err}") from None

    return load


def _graph_store_loader(args: argparse.Namespace, engine: Engine) -> Callable[[bytes], object]:
    """The Graph Store Protocol and SPARQL Update, for any engine that has them."""
    import tempfile

    from server.gsp import GraphStore, load_with_gsp

    def load(dump: bytes) -> object:
        with tempfile.TemporaryDirectory(prefix="rkg-load-") as tmp:
            (Path(tmp) / f"{NAME}.nq").write_bytes(dump)
            return load_with_gsp(Path(tmp), engine, GraphStore(args.gsp, args.update))

    return load


def _query(args: argparse.Namespace, settings: Settings) -> int:
    text = _query_text(args)
    result = run_query(load_store(settings.layout), text)
    sys.stdout.write(render(result, args.format))
    return 0


def render(result: Result, fmt: str) -> str:
    """A query result as text: an aligned table, or a standard results / RDF serialisation."""
    media = SHORT_NAMES.get(fmt, "")
    if isinstance(result, ox.QueryTriples):
        return result.serialize(format=GRAPH_TYPES.get(media, ox.RdfFormat.TURTLE)).decode()
    if media in RESULT_TYPES:
        return result.serialize(format=RESULT_TYPES[media]).decode()
    if isinstance(result, ox.QueryBoolean):
        return f"{'true' if bool(result) else 'false'}\n"
    names = [v.value for v in result.variables]
    rows = [[show(solution[name]) for name in names] for solution in result]
    return table(names, rows)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with aligned columns and a row count."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
    return "\n".join(out) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"


def _query_text(args: argparse.Namespace) -> str:
    if args.file is not None:
        try:
            return args.file.read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(args.file, f"cannot be read: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            raise InputError(args.file, f"not valid UTF-8 ({err.reason})") from None
    if not args.query:
        raise RkgError("give a query as text or with --file FILE")
    return args.query


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ontology", type=Path, help="ontology folder (default: the repository's; env RKG_ONTOLOGY)")
    common.add_argument("--data", type=Path, help="data folder (default: the repository's; env RKG_DATA)")
    common.add_argument("--shapes", type=Path, help="SHACL shapes folder (default: the repository's; env RKG_SHAPES)")
    sources = argparse.ArgumentParser(add_help=False)
    sources.add_argument(
        "--sources", type=Path, help="folder of the local source texts, to verify every quote (env RKG_SOURCES)"
    )
    parser = argparse.ArgumentParser(prog="rkg", description="Validate, build and query repatriation-kg.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", parents=[common, sources], help="check the graph against the SHACL shapes")
    p.add_argument("--no-cache", action="store_true", help="check the shapes even if this data was checked before")
    p.set_defaults(run=_validate)
    p = sub.add_parser("build", parents=[common, sources], help="validate, then write dumps in every format")
    p.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    p.add_argument(
        "--for-engine",
        action="store_true",
        help=f"also write {NAME}.engine.nq, blank nodes as Skolem IRIs, for an engine's own loader (QLever…)",
    )
    p.set_defaults(run=_build)
    p = sub.add_parser("query", parents=[common], help="run a SPARQL query over the graph")
    p.add_argument("query", nargs="?", help="the query text (or use --file)")
    p.add_argument("--file", "-f", type=Path, help="read the query from this file")
    p.add_argument(
        "--format",
        default="table",
        choices=["table", *SHORT_NAMES],
        help="table (default), csv, tsv, json, xml; for CONSTRUCT/DESCRIBE: turtle, ntriples, jsonld, rdfxml",
    )
    p.set_defaults(run=_query)
    p = sub.add_parser("serve", parents=[common, sources], help="validate, then serve the SPARQL endpoint")
    p.add_argument("--host", help="interface to bind (default 127.0.0.1; env RKG_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000; env RKG_PORT)")
    p.add_argument("--base-iri", dest="base_iri", help="public base of the data's IRIs (env RKG_BASE_IRI)")
    p.add_argument("--timeout", dest="query_timeout", type=float, help="query time limit, s (default 10)")
    p.add_argument("--result-cap", dest="result_cap", type=int, help="most rows per result (default 10000)")
    p.add_argument("--max-body", dest="max_body", type=int, help="largest POST body, bytes (default 1000000)")
    p.add_argument("--workers", type=int, help="query worker processes (default 3; per HTTP worker)")
    p.add_argument("--http-workers", dest="http_workers", type=int, help="HTTP server processes (default 1)")
    p.add_argument(
        "--result-cache", dest="result_cache", type=int, help="query answers kept for reuse (default 512; 0: none)"
    )
    p.add_argument("--cors-origin", dest="cors_origins", action="append", help="origin allowed by CORS (default *)")
    p.add_argument("--allow-service", dest="service_allowlist", action="append", help="SERVICE endpoint to allow")
    p.add_argument("--store", dest="store_path", type=Path, help="on-disk store folder (loaded once)")
    p.add_argument(
        "--memory-limit",
        dest="memory_limit",
        type=int,
        metavar="MIB",
        help="most MiB for the graph's copies in memory, one per process; past it the store is on disk (default 1024)",
    )
    p.add_argument(
        "--engine",
        help="serve from this external SPARQL endpoint, loaded with `rkg load`, instead of the embedded store "
        "(env RKG_ENGINE)",
    )
    p.set_defaults(run=_serve)
    p = sub.add_parser(
        "load",
        parents=[common, sources],
        help="validate, then load the graph into an external engine (Virtuoso's bulk loader, or the Graph Store "
        "Protocol)",
    )
    p.add_argument("--engine", help="the engine's SPARQL endpoint, e.g. http://127.0.0.1:28890/sparql (env RKG_ENGINE)")
    p.add_argument(
        "--isql", help="the engine's SQL port, HOST:PORT (default: port 1111 on the engine's host; env RKG_ISQL)"
    )
    p.add_argument("--user", dest="engine_user", help="SQL user (default dba; env RKG_ENGINE_USER)")
    p.add_argument(
        "--password-env",
        default=PASSWORD_ENV,
        metavar="VAR",
        help=f"environment variable holding the SQL password (default {PASSWORD_ENV}; unset: dba)",
    )
    p.add_argument("--load-dir", dest="load_dir", type=Path, help="a folder the engine may read (default: asked)")
    p.add_argument(
        "--gsp",
        metavar="URL",
        help="load through this Graph Store Protocol endpoint instead of Virtuoso's bulk loader (Fuseki, GraphDB, "
        "Oxigraph…; with --update)",
    )
    p.add_argument("--update", metavar="URL", help="the engine's SPARQL Update endpoint (with --gsp)")
    p.set_defaults(run=_load)
    return parser


if __name__ == "__main__":
    sys.exit(main())

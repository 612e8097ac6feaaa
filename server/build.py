"""Writing the validated graph as dump files in every format."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pyld.jsonld
import pyoxigraph as ox

from server.project import PREFIXES
from server.store import union_triples

NAME = "repatriation-kg"
CONTEXT_FILE = "context.jsonld"


def sorted_triples(store: ox.Store) -> list[ox.Triple]:
    """The union graph in a stable order, so that rebuilding gives identical files."""
    return sorted(union_triples(store), key=str)


def sorted_quads(store: ox.Store) -> list[ox.Quad]:
    return sorted(store, key=lambda q: (str(q.graph_name), str(q.triple)))


def nquads(store: ox.Store) -> bytes:
    """The N-Quads dump: one named graph per file, in a stable order."""
    return ox.serialize(sorted_quads(store), format=ox.RdfFormat.N_QUADS)


def jsonld(triples: list[ox.Triple], context: dict, context_ref: str) -> bytes:
    """Compacted JSON-LD (PyLD, a conforming JSON-LD 1.1 processor) whose @context refers to `context_ref`."""
    nquads = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
    expanded = pyld.jsonld.from_rdf(nquads, {"format": "application/n-quads", "useNativeTypes": True})
    doc = pyld.jsonld.compact(expanded, {"@context": context})
    doc["@context"] = context_ref
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def dump_files(store: ox.Store, context_path: Path) -> dict[str, bytes]:
    """Every dump file name with its content."""
    triples, quads = sorted_triples(store), sorted_quads(store)
    context = json.loads(context_path.read_text(encoding="utf-8"))
    return {
        f"{NAME}.ttl": ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES),
        f"{NAME}.nt": ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
        f"{NAME}.nq": nquads(store),
        f"{NAME}.trig": ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES),
        f"{NAME}.jsonld": jsonld(triples, context["@context"], CONTEXT_FILE),
        CONTEXT_FILE: context_path.read_bytes(),
    }


def write_build(store: ox.Store, context_path: Path, out: Path) -> list[Path]:
    """Write all dump files into `out`, replacing older ones only once every file is ready."""
    files = dump_files(store, context_path)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".build-") as tmp:
        for name, content in files.items():
            (Path(tmp) / name).write_bytes(content)
        for name in files:
            shutil.move(Path(tmp) / name, out / name)
    return [out / name for name in files]

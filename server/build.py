"""Writing the validated graph as dump files in every format."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pyld.jsonld
import pyoxigraph as ox

from server.project import PREFIXES
from server.skolem import skolemise_quads
from server.store import ReadStore, union_triples

NAME = "repatriation-kg"
CONTEXT_FILE = "context.jsonld"


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def _native(node: dict) -> dict:
    """An expanded node as JSON-LD's own RDF reader would give it: rdf:type as @type, integers as numbers."""
    types = node.pop(RDF_TYPE, [])
    if types:
        node["@type"] = [t["@id"] for t in types]
    for key, values in node.items():
        if key.startswith("@"):
            continue
        for value in values:
            lexical = value.get("@value")
            if value.get("@type") == XSD_INTEGER and lexical.lstrip("-").isdigit() and str(int(lexical)) == lexical:
                value["@value"] = int(lexical)  # canonical forms only: the number must give back the same literal
                del value["@type"]
    return node


def sorted_triples(store: ReadStore) -> list[ox.Triple]:
    """The union graph in a stable order, so that rebuilding gives identical files."""
    return sorted(union_triples(store), key=str)


def sorted_quads(store: ReadStore) -> list[ox.Quad]:
    return sorted(store, key=lambda q: (str(q.graph_name), str(q.triple)))


def nquads(store: ReadStore) -> bytes:
    """The N-Quads dump: one named graph per file, in a stable order."""
    return ox.serialize(sorted_quads(store), format=ox.RdfFormat.N_QUADS)


def jsonld(triples: list[ox.Triple], context: dict, context_ref: str) -> bytes:
    """Compacted JSON-LD whose @context refers to `context_ref`: Oxigraph writes expanded JSON-LD, PyLD (a
    conforming JSON-LD 1.1 processor) compacts it. PyLD's own RDF reader is far slower (9 s for 10k triples)."""
    expanded = [_native(node) for node in json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD))]
    doc = pyld.jsonld.compact(expanded, {"@context": context})
    doc["@context"] = context_ref
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True).encode() + b"\n"


QUAD_FORMATS = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
TRIPLE_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}
EXTENSIONS = ("ttl", "nt", "nq", "trig", "jsonld")


def serialize_dump(ext: str, statements: list, context: dict) -> bytes:
    """One dump: `statements` are sorted quads for N-Quads and TriG, sorted triples for the others."""
    if ext == "jsonld":
        return jsonld(statements, context, CONTEXT_FILE)
    fmt = QUAD_FORMATS.get(ext) or TRIPLE_FORMATS[ext]
    return ox.serialize(statements, format=fmt, prefixes=PREFIXES)


def dump(store: ReadStore, ext: str, context: dict) -> bytes:
    """One dump file of the store, by its extension."""
    return serialize_dump(ext, sorted_quads(store) if ext in QUAD_FORMATS else sorted_triples(store), context)


def dump_files(store: ReadStore, context_path: Path) -> dict[str, bytes]:
    """Every dump file name with its content (the triples and quads are sorted once for all of them)."""
    triples, quads = sorted_triples(store), sorted_quads(store)
    context = json.loads(context_path.read_text(encoding="utf-8"))["@context"]
    files = {
        f"{NAME}.{ext}": serialize_dump(ext, quads if ext in QUAD_FORMATS else triples, context) for ext in EXTENSIONS
    }
    files[CONTEXT_FILE] = context_path.read_bytes()
    return files


ENGINE_DUMP = f"{NAME}.engine.nq"


def engine_dump(store: ReadStore) -> bytes:
    """The N-Quads dump with blank nodes as Skolem IRIs, as `rkg load` loads an engine (for an engine's own loader)."""
    quads = sorted(skolemise_quads(store), key=lambda q: (str(q.graph_name), str(q.triple)))
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


def write_build(store: ReadStore, context_path: Path, out: Path, for_engine: bool = False) -> list[Path]:
    """Write all dump files into `out`, replacing older ones only once every file is ready; `for_engine` adds the
    engine dump."""
    files = dump_files(store, context_path)
    if for_engine:
        files[ENGINE_DUMP] = engine_dump(store)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".build-") as tmp:
        for name, content in files.items():
            (Path(tmp) / name).write_bytes(content)
        for name in files:
            shutil.move(Path(tmp) / name, out / name)
    return [out / name for name in files]

"""Reading RDF files into quads, with errors that name the file and line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from server.errors import InputError

_LINE = re.compile(r"line (\d+)(?:.*?column (\d+))?")


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF format of a file, from its extension."""
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise InputError(path, f"unknown RDF file extension {path.suffix!r}")
    return fmt


def iter_file(path: Path, graph: ox.NamedNode | ox.DefaultGraph | None = None) -> Iterator[ox.Quad]:
    """The quads of one RDF file, streamed; every triple goes into `graph` (the default graph when None)."""
    if not path.is_file():
        raise InputError(path, "no such file")
    fmt = rdf_format(path)
    target = graph if graph is not None else ox.DefaultGraph()
    try:
        parsed = ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri(), rename_blank_nodes=True)
        for q in parsed:
            yield ox.Quad(q.subject, q.predicate, q.object, target)
    except SyntaxError as err:
        line, column = _position(err)
        raise InputError(path, f"{fmt.name} syntax error: {_reason(err)}", line, column) from None
    except (OSError, ValueError) as err:
        raise InputError(path, f"cannot be read: {err}") from None


def parse_file(path: Path, graph: ox.NamedNode | ox.DefaultGraph | None = None) -> list[ox.Quad]:
    """Parse one RDF file into a list of quads (see iter_file)."""
    return list(iter_file(path, graph))


def iter_files(paths: Iterable[tuple[Path, ox.NamedNode]]) -> Iterator[ox.Quad]:
    """The quads of several files, each into its own named graph, streamed (large data never sits in a list)."""
    for path, graph in paths:
        yield from iter_file(path, graph)


def _position(err: SyntaxError) -> tuple[int | None, int | None]:
    if err.lineno:
        return err.lineno, err.offset
    match = _LINE.search(str(err))
    if match:
        return int(match.group(1)), int(match.group(2)) if match.group(2) else None
    return None, None


def _reason(err: SyntaxError) -> str:
    text = str(err.msg if err.msg else err)
    return text.split(": ", 1)[1] if text.startswith("Parser error") and ": " in text else text

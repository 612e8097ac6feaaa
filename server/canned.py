"""Canned queries: one SPARQL file per question, its metadata in a `#+` header that is still valid SPARQL.

The header is YAML after the `#+ ` marks:

    #+ title: Contested figures
    #+ summary: one line
    #+ description: |
    #+   what it answers and how to read it
    #+ params:
    #+   - name: subject          # the query variable ?subject is bound to the value
    #+     type: iri               # iri, string, integer, decimal, date, year, boolean
    #+     default: https://w3id.org/repatriation-kg/id/kazakhstan
    #+     example: https://w3id.org/repatriation-kg/id/kazakhstan
    #+     values: [...]           # optional: the allowed values
    #+     description: which thing
    #+ tags: [conflicts, figures]

Parameters are bound as RDF terms (the engine substitutes the variable); the value is never pasted into the
query text. A value that is not of the declared type is refused with an error that names the parameter.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import yaml

from server.errors import InputError, RkgError
from server.guard import tokenize

XSD = "http://www.w3.org/2001/XMLSchema#"
TYPES = ("iri", "string", "integer", "decimal", "date", "year", "boolean")
_HEADER = re.compile(r"^#\+ ?(.*)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ParameterError(RkgError):
    """A parameter value that does not fit its declaration (HTTP 400, naming the parameter)."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"
    description: str = ""
    default: str | None = None
    example: str | None = None
    values: tuple[str, ...] = ()
    required: bool = False

    def term(self, text: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a value given as text, or ParameterError naming this parameter."""
        if self.values and text not in self.values:
            raise ParameterError(f"parameter {self.name!r}: {text!r} is not one of {', '.join(self.values)}")
        try:
            return _TERM[self.type](text.strip())
        except (ValueError, TypeError):
            raise ParameterError(f"parameter {self.name!r}: {text!r} is not a valid {self.type}") from None


def _iri(text: str) -> ox.NamedNode:
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$", text):
        raise ValueError(text)
    return ox.NamedNode(text)


def _typed(datatype: str, check) -> object:
    def make(text: str) -> ox.Literal:
        check(text)
        return ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))

    return make


def _boolean(text: str) -> ox.Literal:
    if text not in ("true", "false"):
        raise ValueError(text)
    return ox.Literal(text == "true")


def _year(text: str) -> None:
    if not re.fullmatch(r"-?\d{4,}", text):
        raise ValueError(text)


def _decimal(text: str) -> None:
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError(text)


def _integer(text: str) -> None:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(text)


_TERM = {
    "iri": _iri,
    "string": lambda text: ox.Literal(text),
    "integer": _typed("integer", _integer),
    "decimal": _typed("decimal", _decimal),
    "date": _typed("date", datetime.date.fromisoformat),
    "year": _typed("gYear", _year),
    "boolean": _boolean,
}


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    summary: str
    description: str
    params: tuple[Parameter, ...]
    tags: tuple[str, ...]
    text: str

    def bindings(self, given: Mapping[str, str]) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
        """Substitutions for the given values (and defaults); unknown or missing required ones are refused."""
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            takes = ", ".join(sorted(known)) or "none"
            raise ParameterError(f"unknown parameter {unknown[0]!r} for query {self.name!r}; it takes: {takes}")
        bound = {}
        for param in self.params:
            value = given.get(param.name, param.default)
            if value is None or value == "":
                if param.required:
                    raise ParameterError(f"parameter {param.name!r} is required")
                continue
            bound[ox.Variable(param.name)] = param.term(value)
        return bound


def bind(query: str, bindings: Mapping[ox.Variable, ox.NamedNode | ox.Literal]) -> str:
    """The query with a VALUES block of the bound terms opening its WHERE group and every sub-select's that
    names one of the variables (with the variables it names): the parameter means the same value throughout.

    The terms are RDF terms built from typed, checked values and written in their canonical syntax, so user
    text never becomes query syntax. Placed first in the group, the block also gives the engine its most
    selective pattern first; Oxigraph does not push outer bindings into a sub-select, hence its own block.
    """
    if not bindings:
        return query
    blocks = {where_group_start(query): list(bindings)}
    for start, names in sub_select_groups(query):
        if named := [v for v in bindings if f"?{v.value}" in names or f"${v.value}" in names]:
            blocks[start] = named
    for position in sorted(blocks, reverse=True):
        names = " ".join(f"?{v.value}" for v in blocks[position])
        terms = " ".join(str(bindings[v]) for v in blocks[position])
        query = f"{query[:position]} VALUES ({names}) {{ ({terms}) }}{query[position:]}"
    return query


def where_group_start(query: str) -> int:
    """The offset just after the opening brace of the query's WHERE group."""
    tokens = list(tokenize(query))
    after_where = next((i for i, (kind, text, _) in enumerate(tokens) if kind == "word" and text.upper() == "WHERE"), 0)
    for kind, _, end in tokens[after_where:]:
        if kind == "open" and query[end - 1] == "{":
            return end
    raise RkgError("the query has no WHERE group to bind parameters in")


def sub_select_groups(query: str) -> list[tuple[int, set[str]]]:
    """(offset after the opening brace, variables named inside) of the WHERE group of each nested SELECT."""
    tokens = list(tokenize(query))
    groups, depth = [], 0
    for i, (kind, text, _) in enumerate(tokens):
        depth += (kind == "open") - (kind == "close")
        if depth == 0 or kind != "word" or text.upper() != "SELECT":
            continue
        start = next(j for j in range(i, len(tokens)) if tokens[j][0] == "open" and tokens[j][1] == "{")
        level, names = 0, set()
        for inner_kind, inner_text, _ in tokens[start:]:
            level += (inner_kind == "open") - (inner_kind == "close")
            if inner_kind == "var":
                names.add(inner_text)
            if level == 0:
                break
        groups.append((tokens[start][2], names))
    return groups


def parse_query_file(path: Path) -> CannedQuery:
    """A canned query from its file; a bad header is an InputError naming the file and line."""
    text = path.read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            if lines and line.strip() and not line.startswith("#"):
                break
            continue
        lines.append(match.group(1))
    try:
        header = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = _header_line(text, mark.line) if mark else None
        raise InputError(path, f"the #+ header is not valid YAML: {getattr(err, 'problem', err)}", line) from None
    if not isinstance(header, dict):
        raise InputError(path, "the #+ header must be a mapping of keys (title, summary, description, params, tags)")
    for key in ("title", "summary", "description"):
        if not isinstance(header.get(key), str) or not header[key].strip():
            raise InputError(path, f"the #+ header needs a non-empty '{key}'")
    tags = header.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    return CannedQuery(
        name=path.stem,
        title=header["title"].strip(),
        summary=" ".join(header["summary"].split()),
        description=header["description"].strip(),
        params=tuple(_parameter(path, p) for p in header.get("params") or []),
        tags=tuple(str(t) for t in tags),
        text=text,
    )


def _parameter(path: Path, spec: object) -> Parameter:
    if not isinstance(spec, dict) or not _NAME.match(str(spec.get("name", ""))):
        raise InputError(path, f"each parameter needs a 'name' that is a SPARQL variable name, not {spec!r}")
    kind = spec.get("type", "string")
    if kind not in TYPES:
        raise InputError(path, f"parameter {spec['name']!r}: type must be one of {', '.join(TYPES)}, not {kind!r}")
    param = Parameter(
        name=spec["name"],
        type=kind,
        description=str(spec.get("description", "")).strip(),
        default=None if spec.get("default") is None else str(spec["default"]),
        example=None if spec.get("example") is None else str(spec["example"]),
        values=tuple(str(v) for v in spec.get("values") or ()),
        required=bool(spec.get("required", False)),
    )
    for value in (param.default, param.example, *param.values):
        if value is not None:
            try:
                param.term(value)
            except ParameterError as err:
                raise InputError(path, f"the header's own value is invalid: {err}") from None
    return param


def _header_line(text: str, header_index: int) -> int:
    """The file line of the n-th header line (0-based)."""
    count = -1
    for number, line in enumerate(text.splitlines(), start=1):
        if _HEADER.match(line):
            count += 1
            if count == header_index:
                return number
    return 1


def load_queries(folder: Path) -> dict[str, CannedQuery]:
    """Every `*.rq` file of `folder` (not `*-violation.rq` checks), by name."""
    return {
        q.name: q
        for q in (parse_query_file(p) for p in sorted(folder.glob("*.rq")) if not p.stem.endswith("-violation"))
    }

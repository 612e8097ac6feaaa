"""Grouping pairs of differing figures into sets, for the contested-figures page."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from server.describe import claim_view
from server.lookup import label
from server.store import ReadStore


@dataclass(frozen=True)
class Figure:
    claim: str
    value: str
    details: tuple[tuple[str, str, str | None], ...]  # (label, text, link or None)
    quote: str | None


@dataclass(frozen=True)
class ConflictGroup:
    title: str
    figures: tuple[Figure, ...]


def subjects_of(store: ReadStore, results: dict) -> list[tuple[str, str]]:
    """(IRI, label) of the subjects that have differing figures, by label."""
    iris = {row["subject"]["value"] for row in results["results"]["bindings"]}
    return sorted(((iri, label(store, ox.NamedNode(iri))) for iri in iris), key=lambda pair: pair[1].lower())


def conflict_groups(store: ReadStore, results: dict, subject: str | None = None) -> list[ConflictGroup]:
    """Rows of claims (pairs in claimA and claimB, or single claims in claim) gathered into groups of figures
    about the same count: same subject, property, person category and operation part; optionally of one subject."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for row in results["results"]["bindings"]:
        if subject and row["subject"]["value"] != subject:
            continue
        key = tuple(row[v]["value"] if v in row else "" for v in ("subject", "property", "category", "part"))
        members = groups.setdefault(key, [])
        for name in ("claimA", "claimB", "claim"):
            if name in row and row[name]["value"] not in members:
                members.append(row[name]["value"])
    return [_group(store, claims) for claims in groups.values()]


def _group(store: ReadStore, claims: list[str]) -> ConflictGroup:
    views = [claim_view(store, ox.NamedNode(c)) for c in claims]
    first = views[0]
    category = first.person_category.label if first.person_category else ""
    title = f"{first.subject.label}: {first.property.label}" + (f" ({category})" if category else "")
    return ConflictGroup(title, tuple(_figure(v) for v in sorted(views, key=lambda v: v.quantity or 0)))


def _figure(view) -> Figure:
    details = [
        (
            "Time scope",
            view.time_scope.label if view.time_scope else "not given",
            view.time_scope.iri if view.time_scope else None,
        ),
        (
            "Stated by",
            view.claimed_by.label if view.claimed_by else "",
            view.claimed_by.iri if view.claimed_by else None,
        ),
        ("How", view.attribution_mode.label if view.attribution_mode else "", None),
        ("Source", _source_text(view), view.source.iri if view.source else None),
    ]
    if view.source and view.source.url:
        details.append(("Address", view.source.url, view.source.url))
    if view.operation:
        details.insert(1, ("Operation", view.operation.label, view.operation.iri))
    quote = " … ".join(q.exact for q in view.quotes) or None
    return Figure(view.iri, view.value, tuple(details), quote)


def _source_text(view) -> str:
    if view.source is None:
        return ""
    return view.source.file_name or view.source.url or view.source.label

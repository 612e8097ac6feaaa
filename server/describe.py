"""What the graph says about one IRI: its RDF description, and a view of it for an HTML page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from server.lookup import (
    RDF_TYPE,
    RDFS_LABEL,
    Node,
    RdfTerm,
    closure,
    is_known,
    label,
    objects,
    pick_literal,
    subjects,
    term,
    triple_key,
    triples,
)
from server.store import ReadStore

REP_CLAIM = term("rep:Claim")
REP_MENTION = term("rep:Mention")
REP_SUBJECT = term("rep:subject")
REP_VALUE_ENTITY = term("rep:valueEntity")
REP_REPORTED_IN = term("rep:reportedIn")
REP_CLAIMED_BY = term("rep:claimedBy")
REP_EXACT = term("rep:Exact")
OA_HAS_BODY = term("oa:hasBody")
SKOS_ALT_LABEL = term("skos:altLabel")
SKOS_EXACT_MATCH = term("skos:exactMatch")

# Claim predicates that have a field of their own in ClaimView; every other one is a qualifier.
_CLAIM_FIELDS = {
    term(name).value
    for name in (
        "rdf:type",
        "rdfs:label",
        "rep:subject",
        "rep:property",
        "rep:quantity",
        "rep:valueEntity",
        "rep:valueDate",
        "rep:valueText",
        "rep:approximation",
        "rep:lowerBound",
        "rep:upperBound",
        "rep:personCategory",
        "rep:timeScope",
        "rep:operation",
        "rep:claimedBy",
        "rep:attributionMode",
        "rep:statedAt",
        "rep:reportedIn",
        "rep:citationMode",
        "rep:evidence",
        "rep:curatorNote",
    )
}
# Entity predicates shown in blocks of their own rather than as statements.
_ENTITY_FIELDS = {RDF_TYPE.value, RDFS_LABEL.value, SKOS_ALT_LABEL.value, SKOS_EXACT_MATCH.value}

Props = dict[str, list[RdfTerm]]


@dataclass(frozen=True)
class Term:
    """A value to show: an IRI with its label, or a literal (iri None) with its language."""

    iri: str | None
    label: str
    language: str | None = None


@dataclass(frozen=True)
class Statement:
    predicate: Term
    object: Term


@dataclass(frozen=True)
class Quote:
    """An exact span of a source, with code-point offsets (end exclusive)."""

    exact: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class SourceView:
    iri: str
    label: str
    title: str | None = None
    file_name: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ClaimView:
    """One claim with everything a reader needs to judge it: value, qualifiers, voice, source and words."""

    iri: str
    label: str
    subject: Term
    property: Term
    value: str
    value_entity: Term | None = None
    quantity: int | None = None
    approximation: Term | None = None
    lower_bound: int | None = None
    upper_bound: int | None = None
    person_category: Term | None = None
    time_scope: Term | None = None
    operation: Term | None = None
    claimed_by: Term | None = None
    attribution_mode: Term | None = None
    stated_at: Term | None = None
    source: SourceView | None = None
    citation_mode: Term | None = None
    quotes: tuple[Quote, ...] = ()
    notes: tuple[str, ...] = ()
    qualifiers: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class ClaimGroup:
    """The claims for one claim property."""

    property: Term
    claims: tuple[ClaimView, ...]


@dataclass(frozen=True)
class MentionView:
    """A span that names a thing (or titles a source) and asserts nothing."""

    iri: str
    bodies: tuple[Term, ...]
    motivation: Term | None
    source: SourceView | None
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class EntityView:
    """Everything an HTML page shows about one IRI; the lists that do not apply stay empty."""

    iri: str
    label: str
    alt_labels: tuple[Term, ...] = ()
    types: tuple[Term, ...] = ()
    statements: tuple[Statement, ...] = ()
    exact_matches: tuple[Term, ...] = ()
    claim: ClaimView | None = None
    mention: MentionView | None = None
    claims_about: tuple[ClaimGroup, ...] = ()
    claims_valued: tuple[ClaimGroup, ...] = ()
    claims_reported: tuple[ClaimGroup, ...] = ()
    claims_made: tuple[ClaimGroup, ...] = ()
    claims_qualified: tuple[ClaimGroup, ...] = ()
    mentions: tuple[MentionView, ...] = ()


# ---------------------------------------------------------------- the RDF description


def entity_triples(store: ReadStore, iri: str) -> list[ox.Triple]:
    """The description of `iri`: its triples, the claims about it or valued by it, its mentions, object labels."""
    node = ox.NamedNode(iri)
    if not is_known(store, node):
        return []
    found = closure(store, node)
    for related in _claims_of(store, node) + _mentions_of(store, node):
        found |= closure(store, related)
    named = {t.object for t in found if isinstance(t.object, ox.NamedNode)}
    for obj in named:
        found.update(triples(store, obj, RDFS_LABEL))
    return sorted(found, key=triple_key)


def _claims_of(store: ReadStore, node: ox.NamedNode) -> list[Node]:
    return subjects(store, REP_SUBJECT, node) + subjects(store, REP_VALUE_ENTITY, node)


def _mentions_of(store: ReadStore, node: ox.NamedNode) -> list[Node]:
    return [m for m in subjects(store, OA_HAS_BODY, node) if REP_MENTION in objects(store, m, RDF_TYPE)]


# ---------------------------------------------------------------- the page view


def describe(store: ReadStore, iri: str) -> EntityView | None:
    """A view of `iri` for an HTML page, or None when no triple mentions it."""
    node = ox.NamedNode(iri)
    if not is_known(store, node):
        return None
    props = outgoing(store, node)
    types = props.get(RDF_TYPE.value, [])
    is_claim, is_mention = REP_CLAIM in types, REP_MENTION in types
    name = label(store, node)
    return EntityView(
        iri=iri,
        label=name,
        alt_labels=_alt_labels(props, name),
        types=tuple(sorted((_term(store, t) for t in types), key=lambda t: t.label.lower())),
        statements=() if is_claim else _statements(store, props),
        exact_matches=tuple(_term(store, m) for m in props.get(SKOS_EXACT_MATCH.value, [])),
        claim=claim_view(store, node) if is_claim else None,
        mention=mention_view(store, node) if is_mention else None,
        claims_about=group_claims(store, subjects(store, REP_SUBJECT, node)),
        claims_valued=group_claims(store, subjects(store, REP_VALUE_ENTITY, node)),
        claims_reported=group_claims(store, subjects(store, REP_REPORTED_IN, node)),
        claims_made=group_claims(store, subjects(store, REP_CLAIMED_BY, node)),
        claims_qualified=group_claims(store, _qualified_by(store, node)),
        mentions=tuple(mention_view(store, m) for m in _mentions_of(store, node)),
    )


def _qualified_by(store: ReadStore, node: ox.NamedNode) -> list[Node]:
    """Claims that name `node` in a qualifier (operation, time scope, place, event, breakdown group, ...)."""
    apart = {REP_SUBJECT, REP_VALUE_ENTITY, REP_REPORTED_IN, REP_CLAIMED_BY, RDF_TYPE}
    found = {t.subject for t in triples(store, None, None, node) if t.predicate not in apart}
    return sorted((c for c in found if REP_CLAIM in objects(store, c, RDF_TYPE)), key=str)


def outgoing(store: ReadStore, node: Node) -> Props:
    """The objects of `node`, by predicate IRI, each list sorted."""
    props: Props = defaultdict(list)
    for t in triples(store, node):
        props[t.predicate.value].append(t.object)
    return dict(props)


def _term(store: ReadStore, value: RdfTerm) -> Term:
    if isinstance(value, ox.NamedNode):
        return Term(value.value, label(store, value))
    if isinstance(value, ox.Literal):
        return Term(None, value.value, value.language)
    return Term(None, "(unnamed node)")


def _alt_labels(props: Props, name: str) -> tuple[Term, ...]:
    """skos:altLabel values, and rdfs:labels other than the one shown as the name."""
    values = props.get(SKOS_ALT_LABEL.value, []) + props.get(RDFS_LABEL.value, [])
    shown = [Term(None, v.value, v.language) for v in values if isinstance(v, ox.Literal) and v.value != name]
    return tuple(dict.fromkeys(shown))


def _statements(store: ReadStore, props: Props) -> tuple[Statement, ...]:
    """Plain triples of the thing, except names, types and identifiers (shown apart) and blank nodes."""
    return tuple(
        Statement(_term(store, ox.NamedNode(p)), _term(store, o))
        for p, values in sorted(props.items())
        if p not in _ENTITY_FIELDS
        for o in values
        if not isinstance(o, ox.BlankNode)
    )


def _one(store: ReadStore, props: Props, prefixed: str) -> Term | None:
    values = props.get(term(prefixed).value)
    return _term(store, values[0]) if values else None


def _integer(props: Props, prefixed: str) -> int | None:
    values = props.get(term(prefixed).value)
    return int(values[0].value) if values else None


def hedged(quantity: int, hedge: str | None) -> str:
    """A number with the source's hedge word: 'over 700', 'around 2,000', '490' (no word for an exact figure)."""
    return f"{hedge} {quantity:,}" if hedge else f"{quantity:,}"


def _value(props: Props, approximation: Term | None, entity: Term | None) -> str:
    """The claim's value as text to show."""
    quantity = _integer(props, "rep:quantity")
    if quantity is not None:
        word = approximation.label if approximation and approximation.iri != REP_EXACT.value else None
        return hedged(quantity, word)
    if entity is not None:
        return entity.label
    for prefixed, quoted in (("rep:valueDate", False), ("rep:valueText", True)):
        literal = pick_literal(props.get(term(prefixed).value, []))
        if literal is not None:
            return f"“{literal.value}”" if quoted else literal.value
    return ""


def claim_view(store: ReadStore, claim: Node) -> ClaimView:
    """One claim, read field by field from its triples."""
    props = outgoing(store, claim)
    approximation = _one(store, props, "rep:approximation")
    entity = _one(store, props, "rep:valueEntity")
    sources = props.get(REP_REPORTED_IN.value, [])
    return ClaimView(
        iri=claim.value,
        label=label(store, claim),
        subject=_one(store, props, "rep:subject") or Term(None, ""),
        property=_one(store, props, "rep:property") or Term(None, ""),
        value=_value(props, approximation, entity),
        value_entity=entity,
        quantity=_integer(props, "rep:quantity"),
        approximation=approximation,
        lower_bound=_integer(props, "rep:lowerBound"),
        upper_bound=_integer(props, "rep:upperBound"),
        person_category=_one(store, props, "rep:personCategory"),
        time_scope=_one(store, props, "rep:timeScope"),
        operation=_one(store, props, "rep:operation"),
        claimed_by=_one(store, props, "rep:claimedBy"),
        attribution_mode=_one(store, props, "rep:attributionMode"),
        stated_at=_one(store, props, "rep:statedAt"),
        source=source_view(store, sources[0]) if sources else None,
        citation_mode=_one(store, props, "rep:citationMode"),
        quotes=quotes(store, props.get(term("rep:evidence").value, [])),
        notes=tuple(v.value for v in props.get(term("rep:curatorNote").value, [])),
        qualifiers=tuple(
            Statement(_term(store, ox.NamedNode(p)), _term(store, o))
            for p, values in sorted(props.items())
            if p not in _CLAIM_FIELDS
            for o in values
        ),
    )


def source_view(store: ReadStore, source: RdfTerm) -> SourceView | None:
    """A source document with what identifies it: title, file name or URL."""
    if not isinstance(source, ox.NamedNode):
        return None
    props = outgoing(store, source)
    first = {
        key: (values[0].value if values else None)
        for key, values in (
            ("title", props.get(term("dcterms:title").value, [])),
            ("file_name", props.get(term("rep:fileName").value, [])),
            ("url", props.get(term("schema:url").value, [])),
        )
    }
    return SourceView(iri=source.value, label=label(store, source), **first)


def quotes(store: ReadStore, resources: Iterable[RdfTerm]) -> tuple[Quote, ...]:
    """The exact text and offsets of each oa:SpecificResource, in the order of the text."""
    found = []
    for resource in resources:
        if not isinstance(resource, ox.NamedNode | ox.BlankNode):
            continue
        fields: dict[str, str] = {}
        for selector in objects(store, resource, term("oa:hasSelector")):
            if isinstance(selector, ox.NamedNode | ox.BlankNode):
                fields |= {t.predicate.value: t.object.value for t in triples(store, selector)}
        start, end = fields.get(term("oa:start").value), fields.get(term("oa:end").value)
        found.append(
            Quote(
                exact=fields.get(term("oa:exact").value, ""),
                start=int(start) if start is not None else None,
                end=int(end) if end is not None else None,
            )
        )
    return tuple(sorted(found, key=lambda q: (q.start is None, q.start or 0, q.exact)))


def mention_view(store: ReadStore, mention: Node) -> MentionView:
    """A mention with the span it annotates."""
    props = outgoing(store, mention)
    targets = props.get(term("oa:hasTarget").value, [])
    sources = [
        s
        for t in targets
        if isinstance(t, ox.NamedNode | ox.BlankNode)
        for s in objects(store, t, term("oa:hasSource"))
    ]
    return MentionView(
        iri=mention.value,
        bodies=tuple(_term(store, b) for b in props.get(OA_HAS_BODY.value, [])),
        motivation=_one(store, props, "oa:motivatedBy"),
        source=source_view(store, sources[0]) if sources else None,
        quotes=quotes(store, targets),
    )


def group_claims(store: ReadStore, claims: Iterable[Node]) -> tuple[ClaimGroup, ...]:
    """Claims grouped by claim property (groups by property label), each group in source and text order."""
    groups: dict[Term, list[ClaimView]] = defaultdict(list)
    for claim in claims:
        view = claim_view(store, claim)
        groups[view.property].append(view)
    return tuple(
        ClaimGroup(prop, tuple(sorted(views, key=_claim_order)))
        for prop, views in sorted(groups.items(), key=lambda item: item[0].label.lower())
    )


def _claim_order(claim: ClaimView) -> tuple[str, int, str]:
    first = claim.quotes[0].start if claim.quotes and claim.quotes[0].start is not None else -1
    return (claim.source.label if claim.source else "", first, claim.iri)

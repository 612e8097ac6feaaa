"""Synthetic data of the shape of data/*.ttl for benchmarks: `python -m benchmarks.synthetic --triples N --out DIR`.

Writes DIR/entities.ttl (states, places, organisations and units, posts, persons, operations and their parts,
events, camps, groups, agents, time scopes, breakdown groups), DIR/sources.ttl (the local text sources with
file name and SHA-256), one DIR/source-NNNN.ttl per local source (its quoted claims and mentions), and
DIR/web-provenance.ttl (web sources and their claims, cited without a quote). Each local source has a
generated text in DIR/sources/, so every quote is real: `rkg validate --data DIR --sources DIR/sources`
checks the shapes and every span.

The mix follows the repository's data (counted in data/*.ttl): of every 77 claims about 19 are figures, 21
entity-valued, 5 dates and 32 texts; 72 quote a local text (about 1.3 evidence spans each) and 5 cite a web
page; 11 of the 19 figures belong to breakdown groups; hedges are mostly Exact, some Over, Around and Nearly
(AtLeast and UpTo, absent from the seeds, appear rarely so that every hedge is exercised); about one mention
per three claims. Subjects are skewed, so that a few entities (kg:synthetic-state-1 first) have many claims.

Everything is fictional ("State 17", "Person 4031", "Event 3"), IRIs are under
https://w3id.org/repatriation-kg/id/synthetic-..., web pages under https://example.org/, and the output is
deterministic for a given --seed and --triples. The data triples written are within a few dozen of N (the
ontology's own triples come on top when the graph is loaded).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

PREFIXES = {
    "rep": "https://w3id.org/repatriation-kg/ontology#",
    "kg": "https://w3id.org/repatriation-kg/id/",
    "oa": "http://www.w3.org/ns/oa#",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
NOTE = "Synthetic, generated for benchmarks: it states no real fact."
FIRST_YEAR, LAST_YEAR = 2012, 2024

# Weights counted in data/*.ttl (quoted claims only; the web claims are drawn separately).
SLOTS = {"breakdown": 11 / 3.5, "quantity": 7, "entity": 19, "date": 3, "text": 32}
QUANTITY_PROPERTIES = {
    "repatriatedCount": 12,
    "detainedCount": 2,
    "foughtAbroadCount": 1,
    "prosecutedCount": 1,
    "capacity": 1,
    "partCount": 1,
    "participantCount": 1,
}
ENTITY_PROPERTIES = {
    "holdsPost": 7,
    "organisedBy": 3,
    "locatedIn": 3,
    "speaker": 2,
    "participant": 2,
    "inauguratedBy": 1,
    "cooperatesWith": 1,
}
TEXT_PROPERTIES = {"characterisedAs": 23, "statedAim": 5, "outcome": 2, "fundedBy": 1, "relativeDate": 1}
WEB_PROPERTIES = {"publishedAt": 2, "publishedOn": 1, "occurredOn": 1, "participantCount": 1}
HEDGES = {"Exact": 14, "Over": 2, "Around": 2, "Nearly": 1, "AtLeast": 0.5, "UpTo": 0.5}
CATEGORIES = {
    "AllPersons": 6,
    "Men": 3,
    "Women": 3,
    "Children": 3,
    "ForeignFighters": 1,
    "Fighters": 1,
    "WomenAndChildren": 1,
    "Orphans": 0.5,
}
ATTRIBUTION = {"AuthorAssertion": 45, "DirectQuote": 20, "IndirectSpeech": 11, "Paraphrase": 1}
NOUNS = {
    "AllPersons": "citizens",
    "Men": "men",
    "Women": "women",
    "Children": "children",
    "ForeignFighters": "foreign fighters",
    "Fighters": "fighters",
    "WomenAndChildren": "women and children",
    "Orphans": "orphans",
}
HEDGE_WORDS = {
    "Exact": "{n}",
    "Over": "over {n}",
    "AtLeast": "at least {n}",
    "Around": "around {n}",
    "Nearly": "just under {n}",
    "UpTo": "up to {n}",
}
ROUND_FIGURES = [50, 100, 150, 200, 250, 300, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000, 3000, 5000, 13000]
ADJECTIVES = [
    "a remarkable",
    "a difficult",
    "an unprecedented",
    "a slow",
    "a careful",
    "a costly",
    "a humanitarian",
    "a successful",
    "a limited",
    "an uneven",
    "a quiet",
    "a contested",
]
TEXT_NOUNS = [
    "effort",
    "undertaking",
    "process",
    "obligation",
    "success",
    "challenge",
    "commitment",
    "priority",
    "policy",
    "precedent",
]
TAILS = ["", "", " for the region", " in every respect", " of its kind", " by any measure"]
AIMS = [
    "to bring its citizens home",
    "to close the camps",
    "to prevent new recruitment",
    "to reunite families",
    "to rehabilitate the returnees",
    "to counter the spread of violence",
]
OUTCOMES = ["successful conclusion", "partial completion", "a delay of several months", "a second phase"]
RELATIVE = ["today", "yesterday", "last week", "two years ago", "earlier this month"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def lit(text: str, lang: str | None = "en") -> str:
    """A Turtle string literal, language-tagged unless lang is None."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def typed(value: str, datatype: str) -> str:
    return f'"{value}"^^xsd:{datatype}'


class Node:
    """The predicate-object lists of one subject (or one blank node), in insertion order."""

    def __init__(self) -> None:
        self.props: dict[str, list[str | Node]] = {}

    def add(self, predicate: str, *objects: str | Node) -> Node:
        self.props.setdefault(predicate, []).extend(objects)
        return self

    def count(self) -> int:
        """The triples this node stands for, nested blank nodes included."""
        return sum(len(objs) + sum(o.count() for o in objs if isinstance(o, Node)) for objs in self.props.values())

    def inline(self) -> str:
        return "[ " + " ; ".join(f"{p} {_objects(objs)}" for p, objs in self.props.items()) + " ]"

    def block(self, subject: str) -> str:
        lines = [f"{p} {_objects(objs, OBJECT_BREAK)}" for p, objs in self.props.items()]
        return f"{subject} " + " ;\n    ".join(lines) + " .\n"


OBJECT_BREAK = " ,\n        "


def _objects(objs: list[str | Node], separator: str = " , ") -> str:
    return separator.join(o.inline() if isinstance(o, Node) else o for o in objs)


@dataclass
class Doc:
    """One Turtle file: a header comment and subject blocks."""

    stem: str
    header: str
    blocks: list[tuple[str, Node]] = field(default_factory=list)

    def turtle(self) -> str:
        head = "".join(f"# {line}".rstrip() + "\n" for line in self.header.splitlines())
        prefixes = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
        return head + "\n" + prefixes + "\n" + "\n".join(node.block(s) for s, node in self.blocks)


@dataclass
class Text:
    """A source text being written, with code-point offsets of what was written."""

    parts: list[str] = field(default_factory=list)
    length: int = 0

    def write(self, piece: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        return start, self.length

    def value(self) -> str:
        return "".join(self.parts)


@dataclass
class Source:
    num: int
    iri: str
    file: str
    author: str
    unnamed: str | None
    scopes: list[str]
    text: Text = field(default_factory=Text)
    doc: Doc | None = None
    claims: int = 0


class Generator:
    def __init__(self, triples: int, seed: int = 1):
        self.rng = random.Random(seed)
        self.target = triples
        self.triples = 0
        self.labels: dict[str, str] = {}
        self.pools: dict[str, list[str]] = {}
        self.entities = Doc(
            "entities",
            "Synthetic entities for benchmarks (benchmarks/synthetic.py): fictional names, same shape as\n"
            "data/entities.ttl.",
        )
        self.sources = Doc("sources", "Synthetic local text sources; the texts are in sources/ beside this file.")
        self.docs: list[Doc] = [self.entities, self.sources]
        self.texts: dict[str, str] = {}
        self.out: Path | None = None  # when set, each local source is written there as soon as it is complete
        self.files = 0
        self.text_files = 0
        self.quoted_claims = 0
        self.web_claims = 0

    # ------------------------------------------------------------ helpers

    def add(self, doc: Doc, subject: str, node: Node) -> None:
        doc.blocks.append((subject, node))
        self.triples += node.count()

    def weighted(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def skewed(self, *kinds: str) -> str:
        """An entity of one of `kinds`, the first ones of each pool far more often than the last."""
        pool = self.pools[self.rng.choice([k for k in kinds if self.pools.get(k)])]
        return pool[int(len(pool) * self.rng.random() ** 2)]

    def entity(self, kind: str, num: int, rdf_type: str, label: str, **extra: str | list[str]) -> str:
        iri = f"kg:synthetic-{kind}-{num}"
        node = Node().add("a", f"rep:{rdf_type}").add("rdfs:label", lit(label))
        if self.rng.random() < 0.3:
            node.add("skos:altLabel", lit(label.replace(" ", "-").upper()))
        for predicate, value in extra.items():
            node.add(predicate.replace("__", ":"), *(value if isinstance(value, list) else [value]))
        self.add(self.entities, iri, node)
        self.labels[iri] = label
        self.pools.setdefault(kind, []).append(iri)
        return iri

    def scope(self, name: str, label: str, kind: str, **extra: str) -> str:
        iri = f"kg:synthetic-scope-{name}"
        node = Node().add("a", "rep:TimeScope").add("rdfs:label", lit(label)).add("rep:scopeKind", f"rep:{kind}")
        for predicate, value in extra.items():
            node.add(predicate.replace("__", ":"), value)
        self.add(self.entities, iri, node)
        self.labels[iri] = label
        return iri

    # ------------------------------------------------------------ entities

    def build_entities(self) -> None:
        claims = max(12, self.target // 30)
        n = lambda floor, per: max(floor, claims // per)  # noqa: E731
        for i in range(1, n(6, 40) + 1):
            self.entity("state", i, "State", f"State {i}")
        for i in range(1, n(2, 300) + 1):
            self.entity("region", i, "Region", f"Region {i}")
        for i in range(1, n(3, 80) + 1):
            self.entity("place", i, "Place", f"Place {i}")
        for i in range(1, n(6, 30) + 1):
            extra = {"rep__agencyOf": self.skewed("state")} if self.rng.random() < 0.7 else {}
            self.entity("organisation", i, "Organisation", f"Organisation {i}", **extra)
        for i in range(1, n(2, 100) + 1):
            parent = self.rng.choice(self.pools["organisation"])
            self.entity("unit", i, "OrganisationalUnit", f"Unit {i} of {self.labels[parent]}", org__unitOf=parent)
        for i in range(1, n(5, 15) + 1):
            where = self.skewed("organisation", "unit", "state")
            self.entity("post", i, "Post", f"Post {i} in {self.labels[where]}", org__postIn=where)
        for i in range(1, n(8, 8) + 1):
            self.entity("person", i, "Person", f"Person {i}")
        part = 0
        for i in range(1, n(1, 150) + 1):
            operation = self.entity("operation", i, "Operation", f"Operation {i}")
            for k in range(1, self.rng.randint(1, 5) + 1):
                part += 1
                iri = self.entity(
                    "operation-part",
                    part,
                    "OperationPart",
                    f"Operation {i}, part {k}",
                    rep__partOf=operation,
                    rep__partNumber=str(k),
                )
                self.pools.setdefault("during", []).append(
                    self.scope(f"during-part-{part}", f"during Operation {i}, part {k}", "DuringEvent", rep__anchor=iri)
                )
        for i in range(1, n(4, 25) + 1):
            self.entity("event", i, "Event", f"Event {i}")
        for kind, rdf_type, label, per in [
            ("camp", "Camp", "Camp", 150),
            ("prison", "Prison", "Prison", 150),
            ("building", "Building", "Building", 250),
            ("group", "PersonGroup", "Group of returnees", 200),
            ("topic", "Topic", "Topic", 400),
        ]:
            for i in range(1, n(1, per) + 1):
                self.entity(kind, i, rdf_type, f"{label} {i}")
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            self.pools.setdefault("year", []).append(
                self.scope(
                    f"year-{year}",
                    f"calendar year {year}",
                    "Period",
                    rep__scopeStart=typed(str(year), "gYear"),
                    rep__scopeEnd=typed(str(year), "gYear"),
                    rep__scopeWords=lit(f"in {year}"),
                )
            )
        for i in range(1, max(1, len(self.pools["event"]) // 4) + 1):
            event = self.rng.choice(self.pools["event"])
            self.pools.setdefault("relative", []).append(
                self.scope(
                    f"relative-{i}",
                    f"two years before {self.labels[event]}",
                    "Relative",
                    rep__anchor=event,
                    rep__scopeWords=lit("two years ago"),
                )
            )

    # ------------------------------------------------------------ local sources and their claims

    def local_source(self, num: int, claims: int) -> None:
        iri, file = f"kg:synthetic-source-{num:04d}", f"synthetic-{num:04d}.txt"
        author = f"kg:synthetic-author-{num:04d}"
        self.add(
            self.entities, author, Node().add("a", "rep:ArticleAuthor").add("rdfs:label", lit(f"author of {file}"))
        )
        self.labels[author] = f"author of {file}"
        unnamed = None
        if self.rng.random() < 0.3:
            unnamed = f"kg:synthetic-unnamed-{num:04d}"
            label = f"unnamed sources cited in {file}"
            self.add(self.entities, unnamed, Node().add("a", "rep:UnnamedSource").add("rdfs:label", lit(label)))
            self.labels[unnamed] = label
        self.labels[iri] = file
        anchor = self.rng.choice(self.pools["event"])
        scopes = [
            self.scope(f"{num:04d}-undated", f"no time given ({file})", "Undated", rep__anchor=iri),
            self.scope(
                f"{num:04d}-cumulative",
                f"cumulative, as of {self.labels[anchor]} ({file})",
                "Cumulative",
                rep__anchor=anchor,
                rep__scopeWords=lit("In total"),
            ),
            self.scope(
                f"{num:04d}-current",
                f"present tense, at {self.labels[anchor]} ({file})",
                "Current",
                rep__anchor=anchor,
                rep__scopeWords=lit("There are"),
            ),
        ]
        src = Source(num, iri, file, author, unnamed, scopes)
        src.doc = Doc(
            f"source-{num:04d}",
            f"Claims and mentions quoted from the synthetic text sources/{file} ({iri}).\n"
            "Offsets count Unicode code points, end exclusive; every name and figure is fictional.",
        )
        src.text.write(
            f"Synthetic report {num} — generated text for benchmarks; every name and figure is fictional.\n\n"
        )
        while src.claims < claims:
            slot = self.weighted(SLOTS)
            if slot == "breakdown":
                self.breakdown(src)
            else:
                self.quoted_claim(src, slot)
        text = src.text.value()
        self.keep(src.doc, file, text)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        node = (
            Node()
            .add("a", "rep:LocalTextSource")
            .add("rdfs:label", lit(file))
            .add("dcterms:title", lit(f"Synthetic report {num}"))
            .add("dcterms:creator", author)
            .add("rep:fileName", lit(file, None))
            .add("rep:mediaType", lit("text/plain; charset=utf-8", None))
            .add("rep:sha256", lit(sha, None))
        )
        self.add(self.sources, iri, node)

    def claimant(self, src: Source) -> tuple[str, str, str | None]:
        """(mode, agent, event stated at or None)."""
        mode = self.weighted(ATTRIBUTION)
        if mode == "AuthorAssertion":
            return mode, src.author, None
        if mode == "IndirectSpeech":
            agent = src.unnamed if src.unnamed and self.rng.random() < 0.3 else self.skewed("organisation")
            return mode, agent, None
        event = self.skewed("event") if self.rng.random() < 0.6 else None
        return mode, self.skewed("person"), event

    def sentence(self, src: Source, agent: str, subject: str, quote: str) -> tuple[tuple[int, int], tuple[int, int]]:
        """Write '<agent> on <subject>: “<quote>”.'; return the spans of the subject and of the quote."""
        who = self.labels[agent]
        src.text.write(who[0].upper() + who[1:] + " on ")
        subject_span = src.text.write(self.labels[subject])
        src.text.write(": “")
        quote_span = src.text.write(quote)
        src.text.write("”.\n")
        return subject_span, quote_span

    def evidence(self, src: Source, span: tuple[int, int], exact: str) -> Node:
        quote = Node().add("a", "oa:TextQuoteSelector").add("oa:exact", lit(exact, None))
        position = Node().add("a", "oa:TextPositionSelector").add("oa:start", str(span[0])).add("oa:end", str(span[1]))
        return (
            Node().add("a", "oa:SpecificResource").add("oa:hasSource", src.iri).add("oa:hasSelector", quote, position)
        )

    def quoted(
        self,
        src: Source,
        prop: str,
        subject: str,
        quote: str,
        value: tuple[str, str],
        agent: tuple[str, str, str | None],
        extra: Node | None = None,
    ) -> None:
        """A claim quoting `quote` from `src`, written as one sentence of its text."""
        mode, who, event = agent
        subject_span, quote_span = self.sentence(src, who, subject, quote)
        who_label = self.labels[who]
        slug = "".join("-" + c.lower() if c.isupper() else c for c in prop)
        iri = f"kg:synthetic-claim-{src.num:04d}-{quote_span[0]}-{quote_span[1]}-{slug}"
        label = f"{who_label[0].upper()}{who_label[1:]}: {self.labels[subject]}, {slug.replace('-', ' ')}: {quote}"
        node = Node().add("a", "rep:Claim").add("rdfs:label", lit(label))
        node.add("rep:subject", subject).add("rep:property", f"rep:{prop}").add(value[0], value[1])
        for predicate, objs in (extra.props if extra else {}).items():
            node.add(predicate, *objs)
        if event:
            node.add("rep:statedAt", event)
        node.add("rep:claimedBy", who)
        if mode == "DirectQuote" and self.rng.random() < 0.05:
            node.add("rep:possiblyClaimedBy", self.skewed("person"))
        node.add("rep:attributionMode", f"rep:{mode}").add("rep:reportedIn", src.iri)
        node.add("rep:citationMode", "rep:QuotedSpan")
        spans = [self.evidence(src, quote_span, quote)]
        if self.rng.random() < 0.28:
            spans.append(self.evidence(src, subject_span, self.labels[subject]))
        node.add("rep:evidence", *spans)
        if self.rng.random() < 0.6:
            node.add("rep:curatorNote", lit(NOTE))
        assert src.doc is not None
        self.add(src.doc, iri, node)
        src.claims += 1
        self.quoted_claims += 1
        if self.rng.random() < 0.3:
            mention = (
                Node()
                .add("a", "rep:Mention")
                .add("rdfs:label", lit(f"Mention of {self.labels[subject]}"))
                .add("oa:motivatedBy", "oa:identifying")
                .add("oa:hasBody", subject)
                .add("oa:hasTarget", self.evidence(src, subject_span, self.labels[subject]))
            )
            self.add(src.doc, f"kg:synthetic-mention-{src.num:04d}-{subject_span[0]}-{subject_span[1]}", mention)

    def figure(self, prop: str, hedge: str, n: int, category: str | None, scope: str) -> tuple[str, Node]:
        """The quote of a figure and the claim's quantity triples (hedge, derived bounds, category, scope)."""
        lower, upper = {
            "Exact": (n, n),
            "Over": (n + 1, None),
            "AtLeast": (n, None),
            "Around": (n - n // 10, n + n // 10),
            "Nearly": (n - n // 10, n),
            "UpTo": (0, n),
        }[hedge]
        node = Node().add("rep:approximation", f"rep:{hedge}")
        if lower is not None:
            node.add("rep:lowerBound", str(lower))
        if upper is not None:
            node.add("rep:upperBound", str(upper))
        if category:
            node.add("rep:personCategory", f"rep:{category}")
        node.add("rep:timeScope", scope)
        noun = {"partCount": "missions", "capacity": "people"}.get(prop) or NOUNS[category or "AllPersons"]
        return HEDGE_WORDS[hedge].format(n=f"{n:,}") + " " + noun, node

    def number(self, hedge: str) -> int:
        return self.rng.randint(2, 999) if hedge == "Exact" else self.rng.choice(ROUND_FIGURES)

    def pick_scope(self, src: Source) -> str:
        group = self.rng.choices(["own", "year", "during", "relative"], weights=[6, 3, 1, 1])[0]
        return self.rng.choice(src.scopes if group == "own" or not self.pools.get(group) else self.pools[group])

    def breakdown(self, src: Source) -> None:
        """3 or 4 figures of one speaker for one state and time, by person category, in a breakdown group."""
        num = len(self.pools.get("breakdown", [])) + 1
        agent = self.claimant(src)
        state, scope = self.skewed("state"), self.pick_scope(src)
        iri = f"kg:synthetic-breakdown-{num}"
        label = f"Breakdown {num}: figures of {self.labels[agent[1]]} for {self.labels[state]} ({src.file})"
        self.add(self.entities, iri, Node().add("a", "rep:BreakdownGroup").add("rdfs:label", lit(label)))
        self.labels[iri] = label
        self.pools.setdefault("breakdown", []).append(iri)
        categories = ["AllPersons", "Men", "Women", "Children"]
        if self.rng.random() < 0.5:
            categories = self.rng.sample(categories[1:], 3)
        for category in categories:
            hedge = "Exact" if self.rng.random() < 0.85 else self.weighted(HEDGES)
            quote, extra = self.figure("repatriatedCount", hedge, self.number(hedge), category, scope)
            extra.add("rep:breakdownGroup", iri)
            self.quoted(src, "repatriatedCount", state, quote, ("rep:quantity", _figure_of(quote)), agent, extra)

    def quoted_claim(self, src: Source, slot: str) -> None:
        rng, agent = self.rng, self.claimant(src)
        extra = Node()
        if slot == "quantity":
            prop = self.weighted(QUANTITY_PROPERTIES)
            subject = self.skewed(
                *{
                    "repatriatedCount": ["state"],
                    "prosecutedCount": ["state"],
                    "foughtAbroadCount": ["state"],
                    "detainedCount": ["camp", "prison"],
                    "capacity": ["camp", "prison", "building"],
                    "partCount": ["operation"],
                    "participantCount": ["event"],
                }[prop]
            )
            hedge = self.weighted(HEDGES)
            category = (
                None if prop == "partCount" else "AllPersons" if prop == "capacity" else self.weighted(CATEGORIES)
            )
            quote, extra = self.figure(prop, hedge, self.number(hedge), category, self.pick_scope(src))
            if prop == "repatriatedCount" and rng.random() < 0.2:
                extra.add("rep:fromPlace", self.skewed("place", "state", "region"))
            if prop == "foughtAbroadCount":
                extra.add("rep:location", self.skewed("state", "region"))
            if prop in ("repatriatedCount", "detainedCount") and rng.random() < 0.3:
                extra.add("rep:operation", self.skewed("operation"))
            value = ("rep:quantity", _figure_of(quote))
        elif slot == "entity":
            prop = self.weighted(ENTITY_PROPERTIES)
            subjects, values = {
                "holdsPost": (["person"], ["post"]),
                "organisedBy": (["operation", "event"], ["state", "organisation"]),
                "locatedIn": (["camp", "prison", "building"], ["place", "region", "state"]),
                "speaker": (["event"], ["person"]),
                "participant": (["event"], ["person", "organisation"]),
                "inauguratedBy": (["building"], ["person"]),
                "cooperatesWith": (["state"], ["state"]),
            }[prop]
            subject, target = self.skewed(*subjects), self.skewed(*values)
            if target == subject:
                target = self.rng.choice([v for v in self.pools[values[0]] if v != subject] or [target])
            if prop == "holdsPost" and rng.random() < 0.6:
                extra.add("rep:tense", "rep:Current" if rng.random() < 0.75 else "rep:Former")
            quote, value = self.labels[target], ("rep:valueEntity", target)
        elif slot == "date":
            prop, subject = "occurredOn", self.skewed("event", "operation-part")
            quote, literal = self.date_value()
            value = ("rep:valueDate", literal)
        else:
            prop = self.weighted(TEXT_PROPERTIES)
            subject = self.skewed(
                *{
                    "characterisedAs": ["state", "organisation", "group", "camp", "prison", "operation"],
                    "statedAim": ["state", "organisation", "operation"],
                    "outcome": ["operation", "operation-part", "event"],
                    "fundedBy": ["building"],
                    "relativeDate": ["event"],
                }[prop]
            )
            quote = {
                "characterisedAs": lambda: rng.choice(ADJECTIVES) + " " + rng.choice(TEXT_NOUNS) + rng.choice(TAILS),
                "statedAim": lambda: rng.choice(AIMS),
                "outcome": lambda: rng.choice(OUTCOMES),
                "fundedBy": lambda: "paid for by " + self.labels[self.skewed("organisation", "state")],
                "relativeDate": lambda: rng.choice(RELATIVE),
            }[prop]()
            if prop == "relativeDate":
                extra.add("rep:anchor", src.iri)
            elif rng.random() < 0.15:
                extra.add("rep:timeScope", self.pick_scope(src))
            if prop == "characterisedAs" and rng.random() < 0.1:
                extra.add("rep:location", self.skewed("state", "region", "place"))
            value = ("rep:valueText", lit(quote))
        if slot in ("entity", "date") and rng.random() < 0.15:
            extra.add("rep:timeScope", self.pick_scope(src))
        self.quoted(src, prop, subject, quote, value, agent, extra)

    def date_value(self) -> tuple[str, str]:
        """Words for a date and its literal, only as precise as the words."""
        day = date(FIRST_YEAR, 1, 1) + timedelta(days=self.rng.randrange((LAST_YEAR - FIRST_YEAR + 1) * 365))
        precision = self.rng.random()
        if precision < 0.7:
            return f"on {day.day} {MONTHS[day.month - 1]} {day.year}", typed(day.isoformat(), "date")
        if precision < 0.9:
            return f"in {MONTHS[day.month - 1]} {day.year}", typed(f"{day.year}-{day.month:02d}", "gYearMonth")
        return f"in {day.year}", typed(str(day.year), "gYear")

    # ------------------------------------------------------------ web sources and their claims

    def web(self, claims: int) -> None:
        doc = Doc(
            "web-provenance",
            "Synthetic web sources and their claims, cited without a quote (rep:CitedWithoutQuote), as in\n"
            "data/seed-provenance.ttl. The URLs are under https://example.org/ and lead nowhere.",
        )
        self.docs.append(doc)
        pages = []
        for i in range(1, max(1, claims // 2) + 1):
            iri, label = f"kg:synthetic-web-{i}", f"Synthetic web page {i}"
            publisher = self.skewed("organisation")
            node = (
                Node()
                .add("a", "rep:WebSource")
                .add("rdfs:label", lit(label))
                .add("dcterms:title", lit(f"Synthetic page {i}"))
                .add("dcterms:publisher", publisher)
                .add("schema:url", f"<https://example.org/synthetic/page-{i}>")
                .add("rep:curatorNote", lit(NOTE))
            )
            self.add(doc, iri, node)
            self.labels[iri] = label
            pages.append((iri, publisher))
        sources = [iri for iri, _ in self.sources.blocks] or [pages[0][0]]
        for i in range(1, claims + 1):
            page, publisher = self.rng.choice(pages)
            prop = self.weighted(WEB_PROPERTIES)
            node = Node().add("a", "rep:Claim")
            if prop == "publishedAt":
                subject, value = self.rng.choice(sources), ("rep:valueEntity", page)
            elif prop == "publishedOn":
                subject, value = self.rng.choice(sources), ("rep:valueDate", self.date_value()[1])
            elif prop == "occurredOn":
                subject, value = self.skewed("event"), ("rep:valueDate", self.date_value()[1])
            else:
                subject = self.skewed("event")
                n = self.rng.choice(ROUND_FIGURES)
                value = ("rep:quantity", str(n))
            node.add("rdfs:label", lit(f"{self.labels[page]}: {self.labels.get(subject, subject)}, {prop}"))
            node.add("rep:subject", subject).add("rep:property", f"rep:{prop}").add(*value)
            if prop == "participantCount":
                _, bounds = self.figure(prop, "Nearly", int(value[1]), "AllPersons", self.pick_scope_web(subject))
                for predicate, objs in bounds.props.items():
                    node.add(predicate, *objs)
            node.add("rep:claimedBy", publisher).add("rep:attributionMode", "rep:AuthorAssertion")
            node.add("rep:reportedIn", page).add("rep:citationMode", "rep:CitedWithoutQuote")
            node.add("rep:curatorNote", lit(NOTE))
            self.add(doc, f"kg:synthetic-claim-web-{i}-{prop.lower()}", node)
            self.web_claims += 1

    def pick_scope_web(self, event: str) -> str:
        name = event.removeprefix("kg:synthetic-")
        iri = f"kg:synthetic-scope-during-{name}"
        if iri not in self.labels:
            self.scope(f"during-{name}", f"during {self.labels[event]}", "DuringEvent", rep__anchor=event)
        return iri

    # ------------------------------------------------------------ the whole data folder

    def generate(self) -> None:
        self.build_entities()
        web_claims = max(1, round(self.target / 30 * 5 / 77))
        reserve = web_claims * 14 + (web_claims // 2) * 8
        num = 0
        while self.triples < self.target - reserve:
            num += 1
            budget = (self.target - reserve - self.triples) // 33
            self.local_source(num, max(3, min(self.rng.randint(20, 60), budget)))
        self.web(max(1, round(self.quoted_claims * 5 / 72)))

    def keep(self, doc: Doc, file: str, text: str) -> None:
        """A complete local source: written out at once when streaming (memory stays flat at 10^7 triples)."""
        if self.out is None:
            self.docs.append(doc)
            self.texts[file] = text
            return
        _write_doc(self.out, doc)
        (self.out / "sources" / file).write_bytes(text.encode("utf-8"))
        self.files += 1
        self.text_files += 1

    def write(self, out: Path) -> list[Path]:
        """Write what is still held (everything, unless local sources were streamed to `out` already)."""
        out.mkdir(parents=True, exist_ok=True)
        (out / "sources").mkdir(exist_ok=True)
        written = [_write_doc(out, doc) for doc in self.docs]
        for name, text in self.texts.items():
            (out / "sources" / name).write_bytes(text.encode("utf-8"))
        self.files += len(written)
        self.text_files += len(self.texts)
        return written


def _write_doc(out: Path, doc: Doc) -> Path:
    path = out / f"{doc.stem}.ttl"
    path.write_text(doc.turtle(), encoding="utf-8")
    return path


def _figure_of(quote: str) -> str:
    """The number in a figure's words ('over 2,000 women' -> '2000')."""
    return next(w for w in quote.split(" ") if w[0].isdigit()).replace(",", "")


def generate(triples: int, out: Path, seed: int = 1) -> Generator:
    """Write a synthetic data folder of about `triples` data triples to `out`; return the generator (for counts)."""
    generator = Generator(triples, seed)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    generator.out = out
    generator.generate()
    generator.write(out)
    return generator


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synthetic", description=__doc__.split("\n")[0])
    parser.add_argument("--triples", type=int, required=True, help="about how many data triples to write")
    parser.add_argument("--out", type=Path, required=True, help="the data folder to write (texts go to OUT/sources)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.triples < 500:
        parser.error("--triples must be at least 500")
    g = generate(args.triples, args.out, args.seed)
    print(
        f"wrote {g.triples} triples in {g.files} files to {args.out}: {g.quoted_claims} quoted claims, "
        f"{g.web_claims} web claims, {g.text_files} source texts in {args.out / 'sources'}"
    )
    print(f"check: rkg validate --data {args.out} --sources {args.out / 'sources'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

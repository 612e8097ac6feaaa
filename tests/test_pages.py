"""Linked-data pages: the RDF description of a thing, its view, and the HTML rendered from it."""

from __future__ import annotations

from html.parser import HTMLParser

import pyoxigraph as ox
import pytest

from server.describe import ClaimGroup, ClaimView, EntityView, Quote, Term, describe, entity_triples, hedged
from server.pages import entity_page, local_href, not_found_page, ontology_page
from server.project import BASE_IRI, PREFIXES

KG = PREFIXES["kg"]
REP = PREFIXES["rep"]
OA = PREFIXES["oa"]
CLAIM_700 = KG + "claim-000-287-311-repatriated-count"


class Page(HTMLParser):
    """The parts of a page the tests look at: title, ids, link targets, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.title = ""
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self._in_title = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        if tag == "a" and found.get("href"):
            self.hrefs.append(found["href"] or "")
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False if tag == "title" else self._in_title

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)


def view_of(store: ox.Store, name: str) -> EntityView:
    view = describe(store, KG + name)
    assert view is not None
    return view


def all_claims(groups: tuple[ClaimGroup, ...]) -> list[ClaimView]:
    return [c for g in groups for c in g.claims]


def page_of(store: ox.Store, name: str) -> tuple[str, Page]:
    html = entity_page(view_of(store, name), base_iri=BASE_IRI)
    return html, Page(html)


# ---------------------------------------------------------------- the RDF description


def test_entity_triples_hold_the_claim_with_its_value_and_quote(store):
    found = set(entity_triples(store, KG + "kazakhstan"))
    claim = ox.NamedNode(CLAIM_700)
    assert ox.Triple(claim, ox.NamedNode(REP + "subject"), ox.NamedNode(KG + "kazakhstan")) in found
    integer = ox.NamedNode(PREFIXES["xsd"] + "integer")
    assert ox.Triple(claim, ox.NamedNode(REP + "quantity"), ox.Literal("700", datatype=integer)) in found
    assert any(t.predicate.value == OA + "exact" and t.object.value == "over 700 of its citizens" for t in found)
    labels = {t.subject.value for t in found if t.predicate.value == PREFIXES["rdfs"] + "label"}
    assert KG + "yerzhan-ashykbayev" in labels  # labels of the IRIs the claims name


def test_entity_triples_are_sorted_and_without_duplicates(store):
    found = entity_triples(store, KG + "kazakhstan")
    keys = [(str(t.subject), str(t.predicate), str(t.object)) for t in found]
    assert keys == sorted(set(keys))


def test_unknown_iri_has_no_description(store):
    assert entity_triples(store, KG + "no-such-thing") == []
    assert describe(store, KG + "no-such-thing") is None


# ---------------------------------------------------------------- the page view


@pytest.mark.parametrize(("quantity", "hedge", "shown"), [(700, "over", "over 700"), (490, None, "490")])
def test_hedged(quantity, hedge, shown):
    assert hedged(quantity, hedge) == shown


def test_describe_kazakhstan_gives_the_claim_with_hedge_voice_and_quote(store):
    view = view_of(store, "kazakhstan")
    assert view.label == "Kazakhstan"
    assert [t.label for t in view.types] == ["State"]
    assert [t.iri for t in view.exact_matches] == [PREFIXES["wd"] + "Q232"]
    claim = next(c for c in all_claims(view.claims_about) if c.iri == CLAIM_700)
    assert claim.value == "over 700" and claim.quantity == 700
    assert claim.lower_bound == 701 and claim.upper_bound is None
    assert claim.claimed_by is not None and "author" in claim.claimed_by.label
    assert claim.person_category is not None and claim.person_category.label == "all persons"
    assert claim.source is not None and claim.source.file_name == "000_a2c28f2115b89a4d.txt"
    assert Quote("over 700 of its citizens", 287, 311) in claim.quotes


def test_claims_are_grouped_by_property(store):
    view = view_of(store, "kazakhstan")
    for group in view.claims_about:
        assert {c.property for c in group.claims} == {group.property}
    values = {c.value for g in view.claims_about if g.property.label == "repatriated count" for c in g.claims}
    assert {"over 700", "around 600", "490"} <= values


def test_operation_alternative_labels(store):
    view = view_of(store, "operation-jusan")
    assert view.label == "Operation Jusan"
    assert "Operation Zhusan" in [a.label for a in view.alt_labels]
    assert any(c.subject.iri == KG + "operation-jusan" for c in all_claims(view.claims_about))


def test_describe_a_claim(store):
    view = view_of(store, "claim-000-287-311-repatriated-count")
    assert view.claim is not None
    assert view.claim.subject == Term(KG + "kazakhstan", "Kazakhstan")
    assert view.claim.property.iri == REP + "repatriatedCount"


def test_describe_a_source_lists_the_claims_it_reports(store):
    view = view_of(store, "source-001")
    reported = all_claims(view.claims_reported)
    assert len(reported) > 20
    assert all(c.source and c.source.iri == KG + "source-001" for c in reported)


# ---------------------------------------------------------------- HTML


def test_entity_page(store):
    html, page = page_of(store, "kazakhstan")
    assert "Kazakhstan" in page.title
    assert "over 700 of its citizens" in html
    assert "/id/yerzhan-ashykbayev" in page.hrefs
    assert "/id/kazakhstan.ttl" in page.hrefs and "/id/kazakhstan.jsonld" in page.hrefs
    assert "/id/claim-000-287-311-repatriated-count" in page.hrefs
    assert PREFIXES["wd"] + "Q232" in page.hrefs
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert 'name="viewport"' in html


def test_claim_page_shows_subject_and_quote(store):
    html, page = page_of(store, "claim-000-287-311-repatriated-count")
    assert "/id/kazakhstan" in page.hrefs
    assert "<blockquote" in html and "over 700 of its citizens" in html
    assert "over 700" in "".join(page.text)


def test_source_page_lists_its_claims(store):
    html, page = page_of(store, "source-001")
    assert "Claims reported in this source" in html
    assert "/id/claim-001-1146-1164-repatriated-count" in page.hrefs
    assert "around 600 Kazakhs" in html


def test_ontology_page_anchors_every_term(store):
    page = Page(ontology_page(store))
    assert {"Claim", "repatriatedCount", "Approximations", "Over", "subject"} <= page.ids
    assert "/ontology#Place" in page.hrefs  # rep:State is a subclass of rep:Place
    local = [h.split("#", 1)[1] for h in page.hrefs if h.startswith("/ontology#") or h.startswith("#")]
    assert set(local) <= page.ids


def test_not_found_page_escapes_the_path():
    html = not_found_page("/id/<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


@pytest.mark.parametrize(
    ("iri", "href"),
    [
        (KG + "kazakhstan", "/id/kazakhstan"),
        (REP + "Claim", "/ontology#Claim"),
        (BASE_IRI + "ontology", "/ontology"),
        (PREFIXES["wd"] + "Q232", PREFIXES["wd"] + "Q232"),
        ("https://w3id.org/repatriation-kgx/id/a", "https://w3id.org/repatriation-kgx/id/a"),
    ],
)
def test_local_href(iri, href):
    assert local_href(iri, BASE_IRI) == href
    assert local_href(iri, BASE_IRI.rstrip("/")) == href


def test_labels_are_escaped():
    hostile = "<script>alert(1)</script>"
    claim = ClaimView(
        iri=KG + "claim-x",
        label=hostile,
        subject=Term(KG + "x", hostile),
        property=Term(REP + "characterisedAs", "characterised as"),
        value=f"“{hostile}”",
        quotes=(Quote(hostile, 0, len(hostile)),),
    )
    view = EntityView(
        iri=KG + "x",
        label=hostile,
        alt_labels=(Term(None, hostile, "en"),),
        claims_about=(ClaimGroup(claim.property, (claim,)),),
    )
    html = entity_page(view, base_iri=BASE_IRI)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_only_http_iris_become_links():
    view = EntityView(iri=KG + "y", label="y", exact_matches=(Term("javascript:alert(1)", "x"),))
    html = entity_page(view, base_iri=BASE_IRI)
    assert "javascript:alert(1)" in html and 'href="javascript:' not in html

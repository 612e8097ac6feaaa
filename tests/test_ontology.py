"""The ontology: one annotated owl:Ontology in which every term is labelled, defined and attributed."""

from __future__ import annotations

import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from server.project import ONTOLOGY_IRI, PREFIXES, ROOT

REP = rdflib.Namespace(PREFIXES["rep"])
ONTOLOGY = rdflib.URIRef(ONTOLOGY_IRI)


def _ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "repatriation.ttl")


def test_ontology_header_has_version_licence_and_dates():
    g = _ontology()
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in g
    for predicate in (OWL.versionInfo, OWL.versionIRI, DCTERMS.license, DCTERMS.modified, DCTERMS.title):
        assert g.value(ONTOLOGY, predicate) is not None, predicate


def test_every_term_is_labelled_defined_and_attributed():
    g = _ontology()
    terms = {s for s in g.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(str(REP))}
    assert len(terms) > 100
    missing = [
        (str(t), str(p)) for t in terms for p in (RDFS.label, RDFS.comment, RDFS.isDefinedBy) if g.value(t, p) is None
    ]
    assert missing == []
    assert {g.value(t, RDFS.isDefinedBy) for t in terms} == {ONTOLOGY}


def test_claim_properties_have_exactly_one_kind():
    g = _ontology()
    kinds = {REP.PersonCountProperty, REP.QuantityProperty, REP.EntityProperty, REP.DateProperty, REP.TextProperty}
    props = {s for k in kinds for s in g.subjects(RDF.type, k)}
    assert REP.repatriatedCount in props and REP.holdsPost in props
    for prop in props:
        assert len(set(g.objects(prop, RDF.type)) & kinds) == 1, prop


def test_concept_schemes_hold_the_enumerations():
    g = _ontology()
    members = {
        scheme: {c for c in g.subjects(SKOS.inScheme, scheme)}
        for scheme in (REP.Approximations, REP.AttributionModes, REP.PersonCategories)
    }
    assert members[REP.Approximations] == {REP.Exact, REP.Over, REP.AtLeast, REP.Around, REP.Nearly, REP.UpTo}
    assert {REP.DirectQuote, REP.Paraphrase, REP.IndirectSpeech, REP.AuthorAssertion} == members[REP.AttributionModes]
    assert {REP.Men, REP.Fighters, REP.WomenAndChildren} <= members[REP.PersonCategories]
    assert (REP.Orphans, SKOS.broader, REP.Children) in g

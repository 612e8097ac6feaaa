"""The data: it conforms, every seed inventory row is in it with its exact span, and nothing is invented."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.conftest import SEEDS, SHARED, rows

INVENTORY = SHARED / "SEED-INVENTORY.md"
SEED_FILES = {"A": "000_a2c28f2115b89a4d.txt", "B": "001_66fabe85a111468d.txt"}
CONFIRMED_WIKIDATA = {
    "Q232", "Q30", "Q858", "Q796", "Q813", "Q265", "Q863", "Q851", "Q2429253", "Q789915", "Q27275", "Q27496", "Q7204",
}  # fmt: skip


def inventory_rows() -> list[tuple[str, str, int, int]]:
    """(id, quote, start, end) of every inventory row that carries content (boilerplate A01/B01 left out)."""
    found = []
    for line in INVENTORY.read_text(encoding="utf-8").splitlines():
        if re.match(r"\| [AB]\d\d \|", line):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            start, end = map(int, re.fullmatch(r"\[(\d+),(\d+)\)", cells[4]).groups())
            if cells[1] != "boilerplate":
                found.append((cells[0], cells[3][1:-1], start, end))
    return found


def test_graph_conforms_and_every_quote_matches(validated):
    report, _ = validated
    assert report.errors == []
    assert report.results == []
    assert report.quotes is not None and report.quotes.problems == []
    assert report.quotes.checked >= 82
    assert report.conforms


def test_every_inventory_row_is_recorded_with_its_span(store):
    recorded = {
        (r["item"], r["exact"], int(r["start"]), int(r["end"]), r["file"])
        for r in rows(
            store,
            """SELECT ?item ?exact ?start ?end ?file WHERE {
                 ?node rep:inventoryItem ?item ; (rep:evidence|oa:hasTarget) ?span .
                 ?span oa:hasSource/rep:fileName ?file ;
                       oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact ?exact ] ,
                                      [ a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end ] }""",
        )
    }
    expected = inventory_rows()
    assert len(expected) == 82
    missing = [r for r in expected if (*r, SEED_FILES[r[0][0]]) not in recorded]
    assert missing == []


def test_sources_record_the_hash_of_the_seed_files(store):
    for row in rows(
        store, "SELECT ?file ?sha WHERE { ?s a rep:LocalTextSource ; rep:fileName ?file ; rep:sha256 ?sha }"
    ):
        assert hashlib.sha256((SEEDS / row["file"]).read_bytes()).hexdigest() == row["sha"]


def test_the_implied_total_710_is_never_written(store):
    assert rows(store, "SELECT ?c WHERE { ?c rep:quantity 710 }") == []
    assert rows(store, "SELECT ?c WHERE { ?c rep:lowerBound 710 }") == []


def test_ranks_are_left_to_curators(store):
    assert rows(store, "SELECT ?c WHERE { ?c rep:rank ?r }") == []


def test_wikidata_links_only_for_confirmed_identifiers(store):
    linked = {r["q"].rsplit("/", 1)[1] for r in rows(store, "SELECT ?q WHERE { ?e skos:exactMatch ?q }")}
    assert linked and linked <= CONFIRMED_WIKIDATA


@pytest.mark.parametrize(
    ("entity", "names"),
    [
        ("operation-jusan", {"Operation Jusan", "Operation Zhusan", "Bitter Wormwood"}),
        ("mukhtar-tleuberdi", {"Mukhtar Tleuberdi", "Mukhtar Tileuberdi"}),
        ("yerzhan-ashykbayev", {"Yerzhan Ashykbayev", "Yerzhan Ashikbayev"}),
        ("islamic-state", {"Islamic State", "IS", "ISIS"}),
    ],
)
def test_entities_carry_their_spellings_as_labels(store, entity, names):
    found = rows(store, f"SELECT ?n WHERE {{ kg:{entity} rdfs:label|skos:altLabel ?n }}")
    assert names <= {r["n"] for r in found}


def test_every_claim_is_attributed_and_sourced(store):
    unattributed = rows(
        store,
        """SELECT ?c WHERE { ?c a rep:Claim .
             FILTER NOT EXISTS { ?c rep:claimedBy ?who ; rep:attributionMode ?m ; rep:reportedIn ?src } }""",
    )
    assert unattributed == []


def test_seed_provenance_is_claimed_by_outside_sources_without_quotes(store):
    found = rows(
        store,
        """SELECT ?date ?by ?url ?mode WHERE {
             ?c rep:subject kg:atlantic-council-briefing ; rep:property rep:occurredOn ; rep:valueDate ?date ;
                rep:claimedBy ?by ; rep:reportedIn ?page ; rep:citationMode ?mode .
             ?page a rep:WebSource ; schema:url ?url .
             FILTER NOT EXISTS { ?c rep:evidence ?e } }""",
    )
    assert {
        "date": "2021-01-08",
        "by": "https://w3id.org/repatriation-kg/id/embassy-of-kazakhstan-in-the-usa",
        "url": "https://www.gov.kz/memleket/entities/mfa-washington/press/news/details/145465?lang=en",
        "mode": "https://w3id.org/repatriation-kg/ontology#CitedWithoutQuote",
    } in found
    assert all(r["date"] == "2021-01-08" for r in found)
    # The seed itself only says "today": no date of the briefing is attributed to seed 000.
    briefing = "?c rep:subject kg:atlantic-council-briefing"
    assert rows(store, f"SELECT ?d WHERE {{ {briefing} ; rep:reportedIn kg:source-000 ; rep:valueDate ?d }}") == []
    today = rows(store, f"SELECT ?t WHERE {{ {briefing} ; rep:property rep:relativeDate ; rep:valueText ?t }}")
    assert today == [{"t": "today"}]


def test_no_triple_is_stated_in_two_files(store):
    """Oxigraph's union default graph keeps a triple once per named graph, so a repeated triple doubles rows."""
    repeated = rows(
        store,
        """SELECT ?s ?p ?o WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s ?p ?o } FILTER (STR(?a) < STR(?b)) } LIMIT 5""",
    )
    assert repeated == []

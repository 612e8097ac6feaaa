"""The outside sources: cited by URL without quotes, and every conflict of the catalogue is found by a canned
query (the 2019 Kazakh totals, the January 2019 phase, the number of phases, Mehr's 438, Tajikistan's first
group, al-Hol over time, the two meanings of "foreign"); the timeline holds the operations of all four states."""

from __future__ import annotations

from tests.conftest import rows
from tests.test_queries import run_canned

KG = "https://w3id.org/repatriation-kg/id/"
REP = "https://w3id.org/repatriation-kg/ontology#"


def values(found: list[dict[str, str]], **match: str) -> set[int]:
    return {int(r["value"]) for r in found if match.items() <= r.items()}


def test_web_sources_have_an_address_and_their_claims_no_quote(store):
    sources = rows(store, "SELECT ?s ?url WHERE { ?s a rep:WebSource ; schema:url ?url }")
    assert len(sources) > 60
    quoted = rows(store, "SELECT ?c WHERE { ?c rep:reportedIn ?s ; rep:evidence ?e . ?s a rep:WebSource }")
    assert quoted == []
    unmarked = rows(
        store,
        """SELECT ?c WHERE { ?c rep:reportedIn ?s . ?s a rep:WebSource .
             FILTER NOT EXISTS { ?c rep:citationMode rep:CitedWithoutQuote } }""",
    )
    assert unmarked == []


def test_the_2019_kazakh_totals_differ(store):
    found = run_canned(store, "differing-figures", subject=KG + "kazakhstan")
    totals = values(found, property=REP + "repatriatedCount", category=REP + "AllPersons")
    assert {595, 600, 700, 607} <= totals


def test_the_january_2019_phase_47_against_43(store):
    found = run_canned(store, "conflicting-figures")
    pairs = {
        frozenset((int(r["valueA"]), int(r["valueB"])))
        for r in found
        if r["subject"] == KG + "kazakhstan" and r["scope"] == KG + "scope-2019-01"
    }
    assert frozenset((47, 43)) in pairs


def test_the_number_of_zhusan_phases_differs(store):
    found = run_canned(store, "differing-figures", subject=KG + "operation-jusan")
    assert {3, 4, 5} <= values(found, property=REP + "partCount")


def test_mehr_438_for_four_or_for_five_operations(store):
    found = run_canned(store, "same-figure-other-scope")
    scopes = {
        frozenset((r["scopeA"], r["scopeB"]))
        for r in found
        if r["subject"] == KG + "uzbekistan" and r["value"] == "438"
    }
    assert frozenset(("during Operation Mehr", "cumulative up to Operation Mehr-5 (over Mehr-1 to Mehr-4)")) in scopes


def test_tajikistan_first_group_84_against_89(store):
    found = run_canned(store, "conflicting-figures")
    pairs = {
        frozenset((int(r["valueA"]), int(r["valueB"])))
        for r in found
        if r["subject"] == KG + "tajikistan" and r["category"] == REP + "Children"
    }
    assert frozenset((84, 89)) in pairs


def test_al_hol_population_over_time(store):
    found = run_canned(store, "differing-figures", subject=KG + "al-hol-camp")
    totals = [r for r in found if r["property"] == REP + "populationCount" and r["category"] == REP + "AllPersons"]
    assert len({r["scope"] for r in totals}) >= 4 and len({r["value"] for r in totals}) >= 4


def test_foreign_means_two_different_categories(store):
    found = run_canned(store, "camps")
    categories = {r.get("category") for r in found}
    assert {"foreigners (non-Syrian)", "foreigners (neither Syrian nor Iraqi)"} <= categories
    both = rows(
        store,
        """SELECT ?c WHERE { ?c rep:personCategory rep:ForeignersNonSyrian , rep:ForeignersThirdCountry }""",
    )
    assert both == []


def test_the_timeline_orders_the_operations_of_all_four_states(store):
    found = run_canned(store, "operations-timeline")
    operations = " | ".join(r["operation"] for r in found)
    for name in ("Jusan", "Mehr", "Dobro", "Meerim", "Tajikistan"):
        assert name in operations, name
    dates = [r["date"] for r in found]
    assert dates == sorted(dates)
    assert any(r.get("where", "").startswith("http") for r in found)

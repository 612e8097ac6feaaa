"""The inventory's inconsistencies are findable with SPARQL over the data (I1, I2, I4, I5, I16)."""

from __future__ import annotations

from server.project import ROOT
from tests.conftest import rows

QUERIES = ROOT / "queries"
KG = "https://w3id.org/repatriation-kg/id/"
REP = "https://w3id.org/repatriation-kg/ontology#"


def run(store, name: str) -> list[dict[str, str]]:
    return rows(store, (QUERIES / name).read_text(encoding="utf-8"))


def test_i1_the_2019_breakdown_does_not_add_up_to_around_600(store):
    found = run(store, "breakdown-mismatches.rq")
    rows = {(r["group"], r["totalValue"], r["lower"], r["upper"], r["sumOfParts"], r["parts"]) for r in found}
    assert (KG + "breakdown-001-nsc-2019", "600", "540", "660", "710", "3") in rows
    # the seeds' other breakdowns add up: Jusan-5's 12 = 4 + 1 + 7, and Ashykbayev states no total
    assert not {r["group"] for r in found} & {KG + "breakdown-001-jusan-5", KG + "breakdown-000-ashykbayev"}


def test_i2_over_700_and_around_600_are_contested_side_by_side(store):
    found = [
        r
        for r in run(store, "contested-figures.rq")
        if {r["sourceA"], r["sourceB"]} == {KG + "source-000", KG + "source-001"}
    ]
    pairs = {(r["valueA"], r["hedgeA"], r["sourceA"], r["valueB"], r["hedgeB"], r["sourceB"]) for r in found}
    assert pairs == {("700", REP + "Over", KG + "source-000", "600", REP + "Around", KG + "source-001")}
    (row,) = found
    assert (row["byA"], row["byB"]) == (KG + "author-000", KG + "national-security-committee-kazakhstan")
    assert (row["scopeA"], row["scopeB"]) == (KG + "scope-000-article-undated", KG + "scope-2019")
    assert set(row["quoteA"].split(" | ")) == {"over 700 of its citizens", "Operation Zhusan"}
    assert set(row["quoteB"].split(" | ")) == {"around 600 Kazakhs", "from Syria and Iraq"}


def test_i4_thirty_three_men_against_thirty_three_fighters(store):
    found = [
        r
        for r in run(store, "same-figure-other-category.rq")
        if (r["sourceA"], r["sourceB"]) == (KG + "source-000", KG + "source-001")
    ]
    assert [(r["value"], r["categoryA"], r["categoryB"]) for r in found] == [("33", REP + "Men", REP + "Fighters")]
    assert set(found[0]["quoteA"].split(" | ")) == {"33 men", "In total"}
    assert found[0]["quoteB"] == "33 IS fighters"


def test_i5_zhusan_and_jusan_are_two_spellings_of_one_operation(store):
    found = rows(
        store,
        (QUERIES / "names.rq")
        .read_text(encoding="utf-8")
        .replace("WHERE {", "WHERE {\n  VALUES ?entity { kg:operation-jusan }", 1),
    )
    labels = {r["name"] for r in found if r["kind"] in {"label", "alternative label"}}
    assert {"Operation Jusan", "Operation Zhusan", "Bitter Wormwood"} <= labels
    quoted = {(r["name"], r["source"]) for r in found if r["kind"] == "quoted in source"}
    assert ("Operation Zhusan", "000_a2c28f2115b89a4d.txt") in quoted
    assert any("Jusan" in name and source == "001_66fabe85a111468d.txt" for name, source in quoted)


def test_i16_the_author_total_is_not_the_ministers(store):
    found = [r for r in run(store, "author-voice.rq") if r["source"] == KG + "source-000"]
    assert {(r["authorValue"], r["speaker"], r["speakerValue"]) for r in found} == {
        ("700", KG + "yerzhan-ashykbayev", value) for value in ("33", "187", "490")
    }
    assert {r["speakerMode"] for r in found} == {REP + "DirectQuote"}

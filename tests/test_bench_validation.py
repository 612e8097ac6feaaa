"""The validation benchmark's arithmetic and its edit of a data file (the benchmark itself is run by hand)."""

from __future__ import annotations

from benchmarks.bench_validation import Timing, edit, format_row, median, parse_size


def test_sizes():
    assert [parse_size(s) for s in ("10k", "100K", "1m", "2500", "1.5k")] == [10_000, 100_000, 1_000_000, 2500, 1500]


def test_median_of_wall_and_cpu_apart():
    assert median([Timing(3, 1), Timing(1, 2), Timing(2, 9)]) == Timing(2, 2)


def test_a_row_has_the_ratio_and_the_verdict_at_the_target_size():
    found = {"full": Timing(8, 6), "plain": Timing(24, 20), "cold cache": Timing(9, 7), "one file": None}
    row = format_row(100_000, found)
    assert "3.0x" in row and row.endswith("PASS") and "—" in row
    assert format_row(100_000, {**found, "full": Timing(12, 6)}).endswith("MISS")
    assert not format_row(10_000, found).endswith(("PASS", "MISS"))


def test_each_edit_changes_the_first_label(tmp_path):
    path = tmp_path / "source-0001.ttl"
    path.write_text('kg:a rdfs:label "A"@en .\nkg:b rdfs:label "B"@en .\n', encoding="utf-8")
    edit(path, 1)
    edit(path, 2)
    assert path.read_text(encoding="utf-8") == 'kg:a rdfs:label "edit 2 edit 1 A"@en .\nkg:b rdfs:label "B"@en .\n'

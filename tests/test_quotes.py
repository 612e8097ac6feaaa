"""Quote verification: a broken quote, offset or hash fails, naming the claim, the file and the offsets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server.errors import RkgError
from server.project import Layout
from server.quotes import verify_quotes
from server.store import load_store
from tests.conftest import ROOT, SEEDS, rkg

CLAIM = "https://w3id.org/repatriation-kg/id/claim-000-770-782-repatriated-count"


def data_copy(tmp_path: Path, old: str, new: str, file: str = "seed-000.ttl") -> Layout:
    """A copy of the data folder with one edit in one file."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    text = (data / file).read_text(encoding="utf-8")
    assert old in text
    (data / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return Layout(data=data)


def test_seed_quotes_all_match(store):
    check = verify_quotes(store, SEEDS)
    assert check.problems == []
    assert check.checked > 100


def test_a_changed_quote_is_reported_with_claim_file_and_offsets(tmp_path):
    layout = data_copy(tmp_path, 'oa:exact "490 children"', 'oa:exact "490 kids"')
    problems = verify_quotes(load_store(layout), SEEDS).problems
    assert [(p.owner, p.file, p.start, p.end) for p in problems] == [(CLAIM, "000_a2c28f2115b89a4d.txt", 770, 782)]
    assert "'490 kids'" in problems[0].message and "'490 children'" in problems[0].message


def test_a_shifted_offset_is_reported(tmp_path):
    layout = data_copy(tmp_path, "oa:start 770 ; oa:end 782", "oa:start 771 ; oa:end 783")
    problems = verify_quotes(load_store(layout), SEEDS).problems
    assert [(p.owner, p.start, p.end) for p in problems] == [(CLAIM, 771, 783)]


def test_an_edited_source_file_fails_its_hash_and_its_quotes(tmp_path):
    sources = tmp_path / "seeds"
    shutil.copytree(SEEDS, sources)
    seed = sources / "000_a2c28f2115b89a4d.txt"
    seed.write_text("X" + seed.read_text(encoding="utf-8"), encoding="utf-8")
    problems = verify_quotes(load_store(Layout()), sources).problems
    assert any("SHA-256" in p.message and p.file == seed.name for p in problems)
    assert any(p.owner == CLAIM and p.start == 770 for p in problems)


def test_a_source_folder_without_the_named_file_is_an_error(tmp_path):
    (tmp_path / "000_a2c28f2115b89a4d.txt").write_bytes((SEEDS / "000_a2c28f2115b89a4d.txt").read_bytes())
    with pytest.raises(RkgError, match=r"001_66fabe85a111468d\.txt"):
        verify_quotes(load_store(Layout()), tmp_path)


def test_cli_reports_every_failure_and_exits_non_zero(tmp_path):
    layout = data_copy(tmp_path, 'oa:exact "490 children"', 'oa:exact "490 kids"')
    result = rkg("validate", "--data", layout.data, "--sources", SEEDS)
    assert result.returncode == 1
    assert "QUOTE: kg:claim-000-770-782-repatriated-count in 000_a2c28f2115b89a4d.txt [770,782)" in result.stdout
    assert "does NOT conform" in result.stdout


def test_cli_validate_passes_on_the_repository(tmp_path):
    result = rkg("validate", "--sources", SEEDS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforms; 0 SHACL violations" in result.stdout
    assert "0 problems" in result.stdout

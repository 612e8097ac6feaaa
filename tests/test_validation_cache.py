"""Validation is cached by the hash of the data: unchanged data is not checked twice; any change is."""

from __future__ import annotations

import shutil

import pytest

from server import validation
from server.project import ROOT, Layout
from server.validation import validate


def test_unchanged_data_is_not_checked_again(tmp_path, monkeypatch):
    first, _ = validate(Layout(), cache=tmp_path)
    assert first.conforms and list(tmp_path.glob("shacl-*.json"))

    def forbidden(*args, **kwargs):
        raise AssertionError("the shapes were checked again")

    monkeypatch.setattr(validation, "check_shapes_fast", forbidden)
    second, _ = validate(Layout(), cache=tmp_path)
    assert second.results == first.results and second.triples == first.triples


def test_a_changed_file_is_checked_and_its_violation_reported(tmp_path):
    cache = tmp_path / "cache"
    validate(Layout(), cache=cache)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    text = (data / "seed-000.ttl").read_text(encoding="utf-8")
    (data / "seed-000.ttl").write_text(text.replace("rep:quantity 490 ;", "rep:quantity 491 ;", 1), encoding="utf-8")
    report, _ = validate(Layout(data=data), cache=cache)
    assert not report.conforms
    assert len(list(cache.glob("shacl-*.json"))) == 2


@pytest.mark.parametrize("damage", ["not json", '[{"unexpected": 1}]'])
def test_a_damaged_cache_entry_is_ignored(tmp_path, damage):
    validate(Layout(), cache=tmp_path)
    (entry,) = tmp_path.glob("shacl-*.json")
    entry.write_text(damage, encoding="utf-8")
    report, _ = validate(Layout(), cache=tmp_path)
    assert report.conforms and entry.read_text(encoding="utf-8") != damage

"""The SPARQL editor page as served (the browser tests in test_browser.py run it): offline assets, the canned
queries as safely escaped JSON, GET and HEAD."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from server.canned import load_queries
from server.editor import editor_page
from server.project import ROOT

VENDOR = ROOT / "server" / "static" / "vendor"


def canned_json(page: str) -> list[dict[str, str]]:
    match = re.search(r'<script type="application/json" id="canned-queries">(.*?)</script>', page, re.S)
    assert match, "no #canned-queries element"
    return json.loads(match.group(1))


def test_the_page_loads_only_its_own_assets(server_url: str) -> None:
    response = httpx.get(server_url + "/editor")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/yasgui.min.js" in sources and "/static/vendor/yasgui.min.css" in sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert '<a href="/sparql">' in page.split("<noscript>")[1].split("</noscript>")[0]
    for name in ("yasgui.min.js", "yasgui.min.css"):
        assert httpx.head(server_url + "/static/vendor/" + name).status_code == 200


def test_head_and_revalidation(server_url: str) -> None:
    head = httpx.head(server_url + "/editor")
    assert head.status_code == 200 and head.content == b""
    assert httpx.get(server_url + "/editor", headers={"If-None-Match": head.headers["etag"]}).status_code == 304


def test_one_tab_per_canned_query() -> None:
    tabs = canned_json(editor_page())
    queries = load_queries(ROOT / "queries")
    assert tabs == [{"name": q.title, "query": q.text} for q in queries.values()]


def test_query_text_cannot_end_the_script_element(tmp_path: Path) -> None:
    text = '#+ title: "</script><script>alert(1)</script>"\n#+ summary: s\n#+ description: d\nASK {} # </script>\n'
    (tmp_path / "evil.rq").write_text(text, encoding="utf-8")
    page = editor_page(tmp_path)
    assert "<script>alert" not in page
    assert canned_json(page) == [{"name": "</script><script>alert(1)</script>", "query": text}]

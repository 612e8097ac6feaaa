"""The teaching notebooks in queries/notebooks/: stored without outputs, standard SPARQL, and each one runs.

Every notebook is executed headless with nbclient in a fresh `python3` kernel (the interpreter that runs
pytest), from queries/notebooks/ as the working directory; the test then reads the outputs.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from server.project import ROOT

NB_DIR = ROOT / "queries" / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
EXPECTED_NAMES = [
    "01-graph-and-model.ipynb",
    "02-claims-and-provenance.ipynb",
    "03-conflicts.ipynb",
    "04-linked-data.ipynb",
]
SEEDS = ROOT.parent / "shared" / "seeds"
SERVER_SKIPPED = "SKIPPED: the local server could not be started"


def _code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}})
    client.execute()
    return notebook


def _outputs(notebook: nbformat.NotebookNode) -> tuple[str, str]:
    """All printed text and all HTML of a notebook's outputs."""
    text, html = [], []
    for cell in _code_cells(notebook):
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                text.append(output["text"])
            data = output.get("data", {})
            text.append(data.get("text/plain", ""))
            html.append(data.get("text/html", ""))
    return "\n".join(text), "\n".join(html)


def test_the_four_notebooks_are_there():
    assert [path.name for path in NOTEBOOKS] == EXPECTED_NAMES
    assert (NB_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in _code_cells(notebook):
        assert cell.outputs == [], f"cell {cell.id} has stored outputs"
        assert cell.execution_count is None, f"cell {cell.id} has an execution count"


_QUERY = re.compile(r"'''(.*?)'''", re.DOTALL)
_PREFIXED_NAME = re.compile(r"(?<![\w<\"'#./:-])([a-z][A-Za-z]*):(?=[A-Za-z_])")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_queries_declare_their_prefixes(path: Path):
    """Students learn standard SPARQL: every prefix a query in a notebook uses is declared in that query."""
    queries = 0
    for cell in _code_cells(nbformat.read(path, as_version=4)):
        for query in _QUERY.findall(cell.source):
            if "WHERE" not in query:
                continue
            queries += 1
            declared = set(re.findall(r"PREFIX\s+([A-Za-z]*):", query))
            body = re.sub(r"<[^>\s]*>", "", re.sub(r'"[^"\n]*"', "", query))
            used = set(_PREFIXED_NAME.findall(re.sub(r"PREFIX\s+[A-Za-z]*:", "", body)))
            assert used <= declared, f"{path.name}: undeclared prefixes {used - declared} in:\n{query}"
    assert queries >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path):
    notebook = _execute(path)
    for cell in _code_cells(notebook):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"cell {cell.id}: {output.get('ename')}: {output.get('evalue')}"
            if output["output_type"] == "stream":
                assert output["name"] == "stdout", f"cell {cell.id} wrote to stderr:\n{output['text']}"
    text, html = _outputs(notebook)
    CHECKS[path.name](text, html)


def _check_graph_and_model(text: str, html: str) -> None:
    assert "default graph as stored:         0" in text
    tables = html.split("</table>")
    assert any("<th>alternative</th>" in t and "Operation Zhusan @en" in t for t in tables)
    assert "graph:seed-000" in html and "graph:ontology" in html


def _check_claims_and_provenance(text: str, html: str) -> None:
    assert "over 700 of its citizens" in html and "around 600 Kazakhs" in html
    assert "rep:AuthorAssertion" in html and "rep:IndirectSpeech" in html
    if SEEDS.is_dir():
        match = re.search(r"(\d+) of (\d+) quotes match the seed text", text)
        assert match and match.group(1) == match.group(2) != "0"
        assert re.search(r"\d+ spans match the seed text; 0 do not", text)
    else:
        assert "is missing" in text


def _check_conflicts(text: str, html: str) -> None:
    assert re.search(r"computed sum of the parts = 710 \(3 parts\); stated total = 600 \(rep:Around", text)
    assert "<td>710</td>" in html and "<td>600</td>" in html
    assert "33 IS fighters" in html and "33 men" in html
    assert "rep:Men" in html and "rep:Fighters" in html


def _check_linked_data(text: str, html: str) -> None:
    if SERVER_SKIPPED in text:
        assert "Label from the live endpoint" not in text
        return
    assert "Label from the live endpoint: Kazakhstan" in text
    assert "the same graph as the Turtle: True" in text
    assert "with If-None-Match: 304" in text
    assert "Server stopped" in text
    port = int(re.search(r"Server running at http://127\.0\.0\.1:(\d+)", text).group(1))
    with socket.socket() as probe:  # the notebook's last cell stopped the server
        assert probe.connect_ex(("127.0.0.1", port)) != 0


CHECKS = {
    "01-graph-and-model.ipynb": _check_graph_and_model,
    "02-claims-and-provenance.ipynb": _check_claims_and_provenance,
    "03-conflicts.ipynb": _check_conflicts,
    "04-linked-data.ipynb": _check_linked_data,
}

"""Time SHACL validation on synthetic graphs: `python -m benchmarks.bench_validation`.

For each size, a synthetic data folder (benchmarks/synthetic.py, seed 1) is generated, or reused when
`--data-root` already holds it, and validated with `ontology/` and `shapes/`, without quote checking:

- full: `server.validation.validate` with no cache (load, conversion, the fast SHACL path), `--repeat` times;
- plain: the same load and conversion, then plain pySHACL over the whole graph (`server.shacl.check_shapes`),
  once (it is slow), for the ratio plain / full;
- cold cache: `validate` into an empty cache folder (the whole graph, then each file's share cached);
- one file: a label in one source file changed, then `validate` with that cache, `--repeat` times (each
  with a fresh change), for the time a one-file edit costs; the file is restored afterwards.

Times are wall clock (the median of the repeats, and the CPU time of this process and its workers beside it,
which other load on the machine disturbs less). The target is a full validation of 100k triples under 10 s.
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.synthetic import generate
from server.project import Layout
from server.rdffiles import parse_file
from server.shacl import check_shapes
from server.store import load_store, to_rdflib, union_triples
from server.validation import validate

TARGET_S = 10.0
TARGET_SIZE = 100_000


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def parse_size(text: str) -> int:
    """'10k' -> 10000, '1m' -> 1000000, '2500' -> 2500."""
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the forked validation workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(action: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), cpu_seconds()
    action()
    return Timing(time.perf_counter() - wall, cpu_seconds() - cpu)


def median(timings: list[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings))


def plain(layout: Layout) -> None:
    """Plain pySHACL over the whole graph, as validation was before the fast path."""
    shapes = to_rdflib(q.triple for path in layout.shape_files() for q in parse_file(path))
    check_shapes(to_rdflib(union_triples(load_store(layout))), shapes)


def edit(path: Path, number: int) -> None:
    """Change the first label of a data file (a new text each time, so that its hash changes)."""
    text = path.read_text(encoding="utf-8")
    start = text.index('rdfs:label "') + len('rdfs:label "')
    path.write_text(text[:start] + f"edit {number} " + text[start:], encoding="utf-8")


def bench_size(size: int, data_root: Path | None, repeat: int, with_plain: bool) -> dict[str, Timing | None]:
    folder = (data_root or Path(tempfile.mkdtemp(prefix="rkg-bench-validation-"))) / f"syn-{size}"
    if not (folder / "entities.ttl").is_file():
        generate(size, folder)
    layout = Layout(data=folder)
    full = median([timed(lambda: validate(layout)) for _ in range(repeat)])
    before = timed(lambda: plain(layout)) if with_plain else None
    changed = sorted(folder.glob("source-*.ttl"))[0]
    original = changed.read_bytes()
    with tempfile.TemporaryDirectory(prefix="rkg-bench-cache-") as cache:
        cold = timed(lambda: validate(layout, cache=Path(cache)))
        edits = []
        try:
            for number in range(repeat):
                edit(changed, number)
                edits.append(timed(lambda: validate(layout, cache=Path(cache))))
        finally:
            changed.write_bytes(original)
    return {"full": full, "plain": before, "cold cache": cold, "one file": median(edits)}


def format_row(size: int, found: dict[str, Timing | None]) -> str:
    cells = [f"{size:>9,}"]
    for name in ("full", "plain", "cold cache", "one file"):
        timing = found[name]
        cells.append("—" if timing is None else f"{timing.wall:6.2f} s ({timing.cpu:5.2f} s CPU)")
    full, before = found["full"], found["plain"]
    cells.append("—" if before is None or full is None else f"{before.wall / full.wall:5.1f}x")
    if size == TARGET_SIZE and full is not None:
        cells.append("PASS" if full.wall < TARGET_S else "MISS")
    return " | ".join(cells)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_validation", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="synthetic data triples, comma-separated (10k,100k)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the full and one-file validations")
    parser.add_argument("--data-root", type=Path, help="where syn-<size> folders are kept (default: a new temp folder)")
    parser.add_argument("--no-plain", action="store_true", help="skip plain pySHACL (slow at 100k)")
    args = parser.parse_args(argv)
    logging.getLogger("rdflib").setLevel(logging.ERROR)
    print("  triples | full (fast path) | plain pySHACL | cold cache | one file changed | plain ÷ full | target")
    for size in [parse_size(s) for s in args.sizes.split(",") if s.strip()]:
        print(format_row(size, bench_size(size, args.data_root, max(1, args.repeat), not args.no_plain)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time every canned query on synthetic graphs in the embedded store: `python -m benchmarks.bench_queries`.

For each size, a child process generates (or reuses) a synthetic data folder (benchmarks/synthetic.py, seed 1),
loads `ontology/` and that folder into an in-memory pyoxigraph Store the way the server does
(`server.store.load_store`), and reports the load time and the process's peak resident memory. Then every
canned query of `queries/*.rq` is bound with its default parameters, an IRI of the repository's data
(kg:kazakhstan, kg:source-000, kg:operation-jusan) being replaced by the busiest synthetic entity of the same
kind, and run over the union of the graphs with every result row read, once to warm up and then `--repeat`
times (fewer when a query is slow, see `--budget`). One table per size: rows, p50 and p99 in ms, and PASS or
MISS against the targets, which apply at 1M triples: p50 under 50 ms, load under 10 s, peak memory under 1 GB.
Each size runs in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KG = "https://w3id.org/repatriation-kg/id/"
TARGET_P50_MS = 50.0
TARGET_LOAD_S = 10.0
TARGET_RSS_MB = 1024.0
TARGET_SIZE = 1_000_000

# An IRI of the repository's data used as a default parameter, and the query that finds the busiest
# synthetic entity of the same kind (the one with the most claims).
BUSIEST = {
    KG + "kazakhstan": "?c rep:subject ?x . ?x a rep:State .",
    KG + "source-000": "?c rep:reportedIn ?x . ?x rep:fileName ?f .",
    KG + "operation-jusan": "?c rep:subject ?x . ?x a rep:Operation .",
}


def parse_size(text: str) -> int:
    """`10000`, `100k`, `1m` or `1e6` as a number of triples."""
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def peak_rss_mb() -> float:
    """The peak resident set size of this process, in MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ensure_data(size: int, root: Path) -> Path:
    """The synthetic data folder for `size` triples under `root`, generated when missing."""
    from benchmarks.synthetic import generate

    folder = root / f"syn-{label(size)}"
    if not (folder / "entities.ttl").is_file():
        started = time.perf_counter()
        generate(size, folder)
        print(f"generated {folder} in {time.perf_counter() - started:.1f} s", flush=True)
    return folder


def busiest(store, pattern: str) -> str | None:
    from server.store import run_query

    query = f"SELECT ?x (COUNT(?c) AS ?n) WHERE {{ {pattern} }} GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1"
    rows = list(run_query(store, query))
    return rows[0]["x"].value if rows else None


def run_once(store, text: str) -> tuple[int, float]:
    """Evaluate a query over the union graph and read every row; (rows, seconds)."""
    from server.project import PREFIXES

    started = time.perf_counter()
    result = store.query(text, use_default_graph_as_union=True, prefixes=PREFIXES)
    rows = sum(1 for _ in result) if not isinstance(result, bool) else 1
    return rows, time.perf_counter() - started


def bench_size(size: int, data_root: Path, repeat: int, budget: float, only: set[str]) -> dict:
    """Load one size and time every canned query (runs in the child process)."""
    import pyoxigraph as ox

    from server.canned import bind, load_queries
    from server.project import Layout
    from server.store import load_store

    folder = ensure_data(size, data_root)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    store = load_store(Layout(data=folder))
    load_s = time.perf_counter() - started
    triples = len(store)
    rss_loaded = peak_rss_mb()
    print(f"\n== {label(size)}: {folder} — {triples:,} quads (ontology + data)", flush=True)
    print(f"load {load_s:.2f} s; peak RSS {rss_loaded:.0f} MiB after load ({rss_before:.0f} MiB before)", flush=True)

    replacements = {}
    for iri, pattern in BUSIEST.items():
        found = busiest(store, pattern)
        if found:
            replacements[iri] = found
    results = []
    for name, query in load_queries(ROOT / "queries").items():
        if only and name not in only:
            continue
        bindings = query.bindings({})
        for var, term in list(bindings.items()):
            if isinstance(term, ox.NamedNode) and term.value in replacements:
                bindings[var] = ox.NamedNode(replacements[term.value])
        shown = ", ".join(f"?{v.value}={_short(t)}" for v, t in bindings.items()) or "(none)"
        print(f"  {name}: bound {shown}", flush=True)
        text = bind(query.text, bindings)
        rows, first = run_once(store, text)  # warm-up; it is the only run when it alone exceeds the budget
        times = [first * 1000] if first > budget else []
        spent = first if first > budget else 0.0
        while first <= budget and len(times) < repeat and (len(times) < 3 or spent < budget):
            _, seconds = run_once(store, text)
            times.append(seconds * 1000)
            spent += seconds
        results.append(
            {
                "query": name,
                "rows": rows,
                "runs": len(times),
                "p50": percentile(times, 50),
                "p99": percentile(times, 99),
            }
        )
    return {
        "size": size,
        "triples": triples,
        "load_s": load_s,
        "rss_mb": peak_rss_mb(),
        "rss_loaded_mb": rss_loaded,
        "queries": results,
    }


def _short(term) -> str:
    text = str(term)
    return text.replace(f"<{KG}", "kg:").replace("<https://w3id.org/repatriation-kg/ontology#", "rep:").rstrip(">")


def report(result: dict) -> bool:
    """Print the table of one size; True when every target that applies is met."""
    size = result["size"]
    judged = size >= TARGET_SIZE
    print(f"\n### {label(size)} ({result['triples']:,} quads)\n")
    print(f"| {'query':<30} | {'rows':>6} | {'runs':>4} | {'p50 ms':>9} | {'p99 ms':>9} | {'< 50 ms':<7} |")
    print(f"|{'-' * 32}|{'-' * 7}:|{'-' * 5}:|{'-' * 10}:|{'-' * 10}:|{'-' * 9}|")
    ok = True
    for q in result["queries"]:
        verdict = "PASS" if q["p50"] < TARGET_P50_MS else "MISS"
        ok &= verdict == "PASS" or not judged
        verdict = verdict if judged else f"({verdict.lower()})"
        cells = f"{q['rows']:>6} | {q['runs']:>4} | {q['p50']:>9.2f} | {q['p99']:>9.2f}"
        print(f"| {q['query']:<30} | {cells} | {verdict:<7} |")
    load_ok = result["load_s"] < TARGET_LOAD_S
    rss_ok = result["rss_mb"] < TARGET_RSS_MB
    mark = (lambda good: "PASS" if good else "MISS") if judged else (lambda good: "(target at 1m)")
    print(f"\nload {result['load_s']:.2f} s (target < {TARGET_LOAD_S:.0f} s at 1m): {mark(load_ok)}")
    print(
        f"peak RSS {result['rss_mb']:.0f} MiB, {result['rss_loaded_mb']:.0f} MiB after load "
        f"(target < {TARGET_RSS_MB:.0f} MiB at 1m): {mark(rss_ok)}"
    )
    return ok and (not judged or (load_ok and rss_ok))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_queries", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="synthetic data triples, comma-separated (10k,100k,1m)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query after one warm-up (default 20)")
    parser.add_argument(
        "--budget", type=float, default=5.0, help="stop repeating a query after this many seconds, once 3 runs are done"
    )
    parser.add_argument("--data-root", type=Path, default=Path("/tmp"), help="where the syn-<size> folders are")
    parser.add_argument("--only", default="", help="only these queries (comma-separated names)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if args.child:
        result = bench_size(sizes[0], args.data_root, args.repeat, args.budget, only)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    ok = True
    for size in sizes:
        command = [sys.executable, "-m", "benchmarks.bench_queries", "--child", "--sizes", str(size)]
        command += ["--repeat", str(args.repeat), "--budget", str(args.budget), "--data-root", str(args.data_root)]
        command += ["--only", args.only] if args.only else []
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        result = None
        for line in child.stdout:
            if line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
            else:
                print(line, end="", flush=True)
        if child.wait() != 0 or result is None:
            print(f"size {size}: the benchmark process failed", file=sys.stderr)
            return 2
        ok &= report(result)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

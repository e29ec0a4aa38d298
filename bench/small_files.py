"""Benchmark: small files, in process and warm, the way a warm Lambda runs them (issue 14's first rows).

    .venv/bin/python -m bench.small_files [--data-dir .bench-data]

For each file (3, 300 and 3,000 orders: about 1.2 KB, 160 KB and 1.6 MB, the sizes people upload most; their
orders fall on 3, 28 and 28 dates), each approach runs in its own fresh process: one call to warm up (imports,
first connection), then many timed calls; the median is reported.
- project: validate + flatten. Validate checks the file and writes its Parquet in one pass
  (orders_etl.engine.flatten_order_file, timed here); Flatten publishes that Parquet with S3 copies, reading
  nothing again (its time is in `python -m bench.pipeline`).
- original: load + DataFrame + Parquet (one file, no partitions).
- ceiling: DuckDB's raw typed pass with no checks on a kept connection (bench.ceiling), for information: what
  any DuckDB pass that writes one file per date costs at least.
Ratio = original time / project time (above 1: the project is faster). Targets (issue 14): 1 KB within 4x the
original's time, 100 KB no slower, 1 MB at least 2x faster.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.generate import DEFAULT_DATA_DIR, GENERATOR_VERSION, write_order_count


@dataclass(frozen=True)
class SmallFile:
    label: str
    orders: int
    repeat: int
    target_ratio: float  # original time / project time, at least


FILES = (
    SmallFile("1 KB", 3, 200, 0.25),
    SmallFile("100 KB", 300, 50, 1.0),
    SmallFile("1 MB", 3_000, 10, 2.0),
)
APPROACHES = ("original", "project", "ceiling")


def _time_calls(approach: str, path: Path, repeat: int) -> list[float]:
    """Seconds per call of `approach` on `path`: one untimed call first, then `repeat` timed ones."""
    with tempfile.TemporaryDirectory(prefix="bench-small-") as scratch:
        work = Path(scratch)
        if approach == "original":
            from bench.original import run_original

            def call(n: int) -> None:
                run_original(path, work / f"out-{n}")
        elif approach == "ceiling":
            from bench.ceiling import connect, run_ceiling

            connection = connect(work)

            def call(n: int) -> None:
                run_ceiling(path, work / f"out-{n}", source_key="raw/small.json", workdir=work, connection=connection)
        else:
            from orders_etl.engine import flatten_order_file

            limit = 512 * 1024 * 1024

            def call(n: int) -> None:  # Validate's one pass: the checks and the Parquet
                flatten_order_file(
                    path, work / f"out-{n}", source_key="raw/small.json", max_bytes=limit, workdir=work / f"w-{n}"
                )

        call(-1)
        seconds = []
        for n in range(repeat):
            started = time.perf_counter()
            call(n)
            seconds.append(time.perf_counter() - started)
    return seconds


def _child(approach: str, path: Path, repeat: int) -> None:
    print(json.dumps(_time_calls(approach, path, repeat)))


def _measure(approach: str, path: Path, repeat: int) -> float:
    """Median seconds per call, measured in a fresh process."""
    command = [sys.executable, "-m", "bench.small_files", "--child", approach, str(path), str(repeat)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(statistics.median(json.loads(output.strip().splitlines()[-1])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.small_files", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where the files go (.bench-data)")
    parser.add_argument("--child", nargs=3, metavar=("APPROACH", "FILE", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]), int(args.child[2]))
        return 0
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print("small files, in process, warm: median per call (validate + flatten for the project)")
    print(
        f"{'file':<8} {'bytes':>9} {'original':>10} {'project':>10} {'ratio':>7} {'target':>7}  result"
        f" {'ceiling':>10} {'project/ceiling':>16}"
    )
    failed = 0
    for small in FILES:
        path = args.data_dir / f"orders-{small.orders}-orders.v{GENERATOR_VERSION}.json"
        generated = write_order_count(path, small.orders)
        original, project, ceiling = (_measure(approach, path, small.repeat) for approach in APPROACHES)
        ratio = original / project
        passed = ratio >= small.target_ratio
        failed += not passed
        print(
            f"{small.label:<8} {generated.bytes:>9,} {original * 1000:>8.1f}ms {project * 1000:>8.1f}ms"
            f" {ratio:>6.2f}x {small.target_ratio:>6.2f}x  {'PASS' if passed else 'FAIL':<6}"
            f" {ceiling * 1000:>8.1f}ms {project / ceiling:>15.2f}x"
        )
    print(f"{len(FILES) - failed} of {len(FILES)} small-file targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the project's validate + flatten against the original approach, each run in a fresh process.

    .venv/bin/python -m bench.run [--sizes 10,100,500] [--repeat 3] [--approaches original,reference,project]
                                  [--gb2] [--data-dir .bench-data] [--budget-minutes 15]

Approaches:
  original   bench.original.run_original: json.loads + dict loop + pandas.DataFrame + to_parquet (the baseline)
  reference  _reference_project below: orders_etl.contract.read_order_file + orders_etl.flatten, one Parquet
             file per dt partition (the straightforward reference implementation of the contract)
  project    orders_etl.engine.flatten_order_file, the project's own validate + flatten (what the Lambdas run)

Each run is a fresh ``python -m bench.run --child APPROACH FILE OUTDIR``. The child times its imports and its
work separately (interpreter start-up is in neither) and reports its own peak RSS (``VmHWM`` of its own
address space, or ``getrusage(RUSAGE_SELF).ru_maxrss`` where there is no /proc) on its last line of output.
Results: one table per file, the ratios, the targets with PASS/FAIL, and ``<data-dir>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import (
    DEFAULT_DATA_DIR,
    DEFAULT_SIZES_MB,
    FORMATS,
    GB2_MB,
    GENERATOR_VERSION,
    MB,
    Format,
    ensure_file,
    parse_sizes,
)

ROOT = Path(__file__).resolve().parents[1]
APPROACHES = ("original", "reference", "project")
BASELINE = "original"
MIB = 1024 * 1024
RESULT_MARKER = "BENCH-RESULT "

TARGET_SPEEDUP = {"json": 6.0, "jsonl": 10.0}  # validate + flatten throughput / original throughput
TARGET_RSS_RATIO = 1.0  # peak RSS / input size, at RSS_TARGET_SIZE_MB
RSS_TARGET_SIZE_MB = 500
TARGET_GB2_RSS_MIB = 600.0  # peak RSS for the 2 GB inputs (project only)
CHILD_TIMEOUT_SECONDS = 3600
FORMAT_NAMES = {"json": "JSON array", "jsonl": "JSON Lines"}


# --- the child: one approach on one file, in a fresh interpreter ---------------------------------------------


def _source_key(input_path: Path) -> str:
    return f"raw/bench/{input_path.name}"


def _reference_project(input_path: Path, output_dir: Path, *, source_key: str) -> dict[str, int]:
    """The straightforward reference implementation of the contract (orders_etl.contract + orders_etl.flatten).

    Reads the whole file, validates it into Order objects, flattens them into one pyarrow table per UTC date and
    writes ``output_dir/dt=YYYY-MM-DD/<file stem>.parquet``. Kept as its own approach (``reference``) once the
    project's engine exists: it is what the engine's output is compared with, so its speed is worth knowing.
    """
    from orders_etl.contract import read_order_file
    from orders_etl.flatten import flatten_orders, to_parquet_bytes

    orders = read_order_file(input_path.read_bytes(), source_key=source_key)
    result = flatten_orders(orders, source_key=source_key)
    name = input_path.name.split(".")[0]
    for dt, table in result.partitions.items():
        partition = output_dir / f"dt={dt}"
        partition.mkdir(parents=True, exist_ok=True)
        (partition / f"{name}.parquet").write_bytes(to_parquet_bytes(table))
    return {
        "orders": result.orders,
        "rows": result.rows,
        "orders_without_products": result.orders_without_products,
        "partitions": len(result.partitions),
    }


Runner = Callable[[Path, Path], dict[str, Any]]
# The benchmark's own limit, above the 2 GB files (the pipeline's limit is the MaxFileBytes parameter).
PROJECT_MAX_BYTES = 4 * 1024**3


def _import_approach(approach: str) -> Runner:
    """Import what the approach needs (this is what the child's import time measures) and return its runner."""
    if approach == "original":
        import pyarrow.parquet  # noqa: F401  (to_parquet imports it lazily: count it as import, not work)

        from bench.original import run_original

        return run_original
    if approach == "reference":
        import orders_etl.contract
        import orders_etl.flatten  # noqa: F401

        return lambda path, out: _reference_project(path, out, source_key=_source_key(path))
    if approach == "project":
        import duckdb  # noqa: F401  (the engine imports it lazily: count it as import, not work)

        from orders_etl.engine import flatten_order_file

        def run_project(path: Path, out: Path) -> dict[str, Any]:
            result = flatten_order_file(
                path, out, source_key=_source_key(path), max_bytes=PROJECT_MAX_BYTES, workdir=out.parent / "work"
            )
            summary = result.summary
            return {"orders": summary.orders, "rows": summary.rows, "engine": summary.engine}

        return run_project
    raise SystemExit(f"unknown approach {approach!r}")


def _peak_rss_bytes() -> dict[str, int]:
    """This process's peak RSS: VmHWM of its own address space (Linux), and getrusage's ru_maxrss.

    ru_maxrss can include the parent's high-water mark from before exec (Linux carries it over the exec of a
    vfork-ed child), so VmHWM is preferred where /proc exists. Grandchildren, if any, are reported apart.
    """
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB elsewhere
    peaks = {
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit,
        "children_ru_maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit,
    }
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks["vm_hwm"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    peaks["peak"] = max(peaks.get("vm_hwm", peaks["ru_maxrss"]), peaks["children_ru_maxrss"])
    return peaks


def _child(approach: str, input_path: Path, output_dir: Path) -> int:
    started = time.perf_counter()
    runner = _import_approach(approach)
    imported = time.perf_counter()
    counts = runner(input_path, output_dir)
    finished = time.perf_counter()
    report = {
        "import_seconds": imported - started,
        "seconds": finished - imported,
        "counts": {key: value for key, value in counts.items() if isinstance(value, int | float | str)},
        "rss": _peak_rss_bytes(),
    }
    print(RESULT_MARKER + json.dumps(report), flush=True)
    return 0


# --- the parent: plan, run, report ---------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    import_seconds: float
    peak_rss_bytes: int
    counts: dict[str, Any]
    rss: dict[str, int]


@dataclass
class Measurement:
    approach: str
    repeat: int
    runs: list[Run] = field(default_factory=list)
    error: str | None = None

    @property
    def median_seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_rss_bytes(self) -> int:  # the highest of the runs: the targets are upper bounds
        return max(run.peak_rss_bytes for run in self.runs)

    @property
    def import_seconds(self) -> float:
        return statistics.median(run.import_seconds for run in self.runs)


@dataclass
class BenchFile:
    path: Path
    fmt: Format
    size_mb: int
    approaches: list[str]
    measurements: dict[str, Measurement] = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return self.size_mb * MB

    def ok(self, approach: str) -> Measurement | None:
        measurement = self.measurements.get(approach)
        return measurement if measurement is not None and measurement.runs and not measurement.error else None

    def throughput(self, approach: str) -> float | None:
        measurement = self.ok(approach)
        return self.bytes / MB / measurement.median_seconds if measurement else None

    def rss_ratio(self, approach: str) -> float | None:
        measurement = self.ok(approach)
        return measurement.peak_rss_bytes / self.bytes if measurement else None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _project_available() -> tuple[bool, str]:
    """Whether orders_etl.engine imports, checked in a fresh interpreter."""
    probe = subprocess.run(
        [sys.executable, "-c", "from orders_etl.engine import flatten_order_file"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = probe.stderr.strip().splitlines()
    return probe.returncode == 0, lines[-1] if lines else ""


def _warm_page_cache(path: Path) -> None:
    """Read the file once so that every approach, the first one too, reads it from the page cache."""
    with path.open("rb", buffering=0) as handle:
        while handle.read(8 * MIB):
            pass


def _run_child(approach: str, path: Path, output_dir: Path) -> Run:
    shutil.rmtree(output_dir, ignore_errors=True)
    output_dir.mkdir(parents=True)
    try:
        process = subprocess.run(
            [sys.executable, "-m", "bench.run", "--child", approach, str(path), str(output_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=CHILD_TIMEOUT_SECONDS,
        )
    finally:
        shutil.rmtree(output_dir, ignore_errors=True)
    reports = [line for line in process.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if process.returncode != 0 or not reports:
        tail = (process.stderr.strip().splitlines() or [f"exit code {process.returncode}"])[-1]
        if process.returncode < 0:
            tail = f"killed by signal {-process.returncode} (out of memory?) {tail}"
        raise RuntimeError(tail[:300])
    report = json.loads(reports[-1][len(RESULT_MARKER) :])
    return Run(
        seconds=report["seconds"],
        import_seconds=report["import_seconds"],
        peak_rss_bytes=report["rss"]["peak"],
        counts=report["counts"],
        rss=report["rss"],
    )


def _estimate_seconds(files: list[BenchFile], target: BenchFile, approach: str) -> float | None:
    """Seconds for one run of approach on target, scaled linearly from its largest smaller file of that format."""
    smaller = [f for f in files if f.fmt == target.fmt and f.size_mb < target.size_mb and f.ok(approach) is not None]
    if not smaller:
        return None
    base = max(smaller, key=lambda f: f.size_mb)
    measurement = base.ok(approach)
    assert measurement is not None
    return measurement.median_seconds * target.size_mb / base.size_mb + measurement.import_seconds + 0.5


def _fit_budget(files: list[BenchFile], pending: list[BenchFile], elapsed: float, budget: float) -> list[str]:
    """Cut original (then reference) to 1 repetition on the large pending files if the budget would be exceeded."""
    notes: list[str] = []

    def projected() -> float:
        total = 0.0
        for bench_file in pending:
            for approach, measurement in bench_file.measurements.items():
                estimate = _estimate_seconds(files, bench_file, approach)
                total += (estimate or 0.0) * measurement.repeat
        return total

    for approach in (BASELINE, "reference"):
        expected = elapsed + projected()
        if expected <= budget:
            break
        cut = [
            f
            for f in pending
            if f.size_mb >= RSS_TARGET_SIZE_MB and approach in f.measurements and f.measurements[approach].repeat > 1
        ]
        if not cut:
            continue
        before = cut[0].measurements[approach].repeat
        for bench_file in cut:
            bench_file.measurements[approach].repeat = 1
        notes.append(
            f"{approach} runs once (not {before} times) on the"
            f" {', '.join(sorted({f'{f.size_mb} MB' for f in cut}))} files: the full plan was projected at"
            f" {expected / 60:.0f} min, over the {budget / 60:.0f}-minute budget"
        )
    return notes


def _measure_file(bench_file: BenchFile, scratch: Path) -> None:
    _warm_page_cache(bench_file.path)
    rounds = max(m.repeat for m in bench_file.measurements.values())
    for index in range(rounds):  # interleaved, so that a drift of the machine hits every approach alike
        for approach in bench_file.approaches:
            measurement = bench_file.measurements[approach]
            if index >= measurement.repeat or measurement.error:
                continue
            _log(f"  {bench_file.path.name}: {approach} run {index + 1}/{measurement.repeat} ...")
            try:
                run = _run_child(approach, bench_file.path, scratch / approach)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                measurement.error = str(exc)
                _log(f"    FAILED: {exc}")
                continue
            measurement.runs.append(run)
            _log(f"    {run.seconds:.2f} s, peak RSS {run.peak_rss_bytes / MIB:.0f} MiB")


# --- reporting -----------------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def _file_table(bench_file: BenchFile) -> str:
    counts = next((m.runs[0].counts for m in bench_file.measurements.values() if m.runs), {})
    described = ", ".join(f"{counts[key]:,} {key}" for key in ("orders", "rows") if key in counts)
    lines = [
        f"{bench_file.path.name}: {bench_file.bytes / MB:,.0f} MB, {FORMAT_NAMES[bench_file.fmt]}"
        + (f", {described}" if described else ""),
        f"  {'approach':<10} {'runs':>4} {'MB/s':>8} {'median s':>9} {'peak RSS MiB':>13} {'RSS/size':>9}"
        f" {'import s':>9}",
    ]
    for approach in bench_file.approaches:
        measurement = bench_file.measurements[approach]
        if not measurement.runs:
            lines.append(f"  {approach:<10} ERROR: {measurement.error}")
            continue
        lines.append(
            f"  {approach:<10} {len(measurement.runs):>4} {_fmt(bench_file.throughput(approach), '8.1f')}"
            f" {measurement.median_seconds:>9.2f} {measurement.peak_rss_bytes / MIB:>13.0f}"
            f" {_fmt(bench_file.rss_ratio(approach), '8.2f', 'x')} {measurement.import_seconds:>9.3f}"
        )
        if measurement.error:
            lines.append(f"  {'':<10} (a later run failed: {measurement.error})")
    rows = {a: m.runs[0].counts.get("rows") for a, m in bench_file.measurements.items() if m.runs}
    if len({value for value in rows.values() if value is not None}) > 1:
        lines.append(f"  WARNING: the approaches disagree on the number of rows: {rows}")
    return "\n".join(lines)


@dataclass
class Check:
    target: str
    file: str
    approach: str
    value: str
    passed: bool | None  # None: not measured


def _checks(files: list[BenchFile], candidates: list[str]) -> list[Check]:
    checks: list[Check] = []
    for bench_file in files:
        for approach in candidates:
            if approach not in bench_file.measurements:
                continue
            ratio_rss = bench_file.rss_ratio(approach)
            if bench_file.size_mb == GB2_MB:
                measurement = bench_file.ok(approach)
                mib = measurement.peak_rss_bytes / MIB if measurement else None
                checks.append(
                    Check(
                        f"peak RSS < {TARGET_GB2_RSS_MIB:.0f} MiB at 2 GB",
                        bench_file.path.name,
                        approach,
                        _fmt(mib, ".0f", " MiB"),
                        None if mib is None else mib < TARGET_GB2_RSS_MIB,
                    )
                )
                continue
            speed, base = bench_file.throughput(approach), bench_file.throughput(BASELINE)
            speedup = speed / base if speed is not None and base is not None else None
            goal = TARGET_SPEEDUP[bench_file.fmt]
            checks.append(
                Check(
                    f"throughput >= {goal:.0f}x original ({FORMAT_NAMES[bench_file.fmt]})",
                    bench_file.path.name,
                    approach,
                    _fmt(speedup, ".2f", "x"),
                    None if speedup is None else speedup >= goal,
                )
            )
            if bench_file.size_mb == RSS_TARGET_SIZE_MB:
                checks.append(
                    Check(
                        f"peak RSS <= {TARGET_RSS_RATIO:.1f}x input at {RSS_TARGET_SIZE_MB} MB",
                        bench_file.path.name,
                        approach,
                        _fmt(ratio_rss, ".2f", "x"),
                        None if ratio_rss is None else ratio_rss <= TARGET_RSS_RATIO,
                    )
                )
    return checks


def _summary(files: list[BenchFile], checks: list[Check], candidates: list[str], notes: list[str]) -> str:
    lines = ["", "Ratios (throughput against original on the same file; peak RSS against the input size)"]
    lines.append(f"  {'file':<26} {'approach':<10} {'x original':>10} {'RSS/size':>9}")
    for bench_file in files:
        base = bench_file.throughput(BASELINE)
        for approach in bench_file.approaches:
            if approach == BASELINE:
                continue
            speed = bench_file.throughput(approach)
            speedup = speed / base if speed is not None and base else None
            lines.append(
                f"  {bench_file.path.name:<26} {approach:<10} {_fmt(speedup, '9.2f', 'x')}"
                f" {_fmt(bench_file.rss_ratio(approach), '8.2f', 'x')}"
            )
    lines += ["", "Targets (they apply to project; reference is shown for information)"]
    lines.append(f"  {'target':<40} {'file':<26} {'approach':<10} {'value':>9}  result")
    for check in checks:
        result = "n/a" if check.passed is None else "PASS" if check.passed else "FAIL"
        lines.append(f"  {check.target:<40} {check.file:<26} {check.approach:<10} {check.value:>9}  {result}")
    if "project" in candidates:
        judged = [check for check in checks if check.approach == "project"]
        failed = [check for check in judged if check.passed is not True]
        verdict = "every target met" if judged and not failed else f"{len(failed)} of {len(judged)} targets not met"
        lines.append(f"  project: {verdict}")
    if notes:
        lines += ["", "Notes"] + [f"  - {note}" for note in notes]
    return "\n".join(lines)


def _results_json(
    files: list[BenchFile], checks: list[Check], notes: list[str], started: datetime, seconds: float
) -> dict[str, Any]:
    return {
        "generator_version": GENERATOR_VERSION,
        "started": started.isoformat(timespec="seconds"),
        "total_seconds": round(seconds, 1),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "files": [
            {
                "name": f.path.name,
                "format": f.fmt,
                "bytes": f.bytes,
                "approaches": {
                    approach: {
                        "repeat": m.repeat,
                        "error": m.error,
                        "median_seconds": m.median_seconds if m.runs else None,
                        "mb_per_s": f.throughput(approach),
                        "peak_rss_mib": m.peak_rss_bytes / MIB if m.runs else None,
                        "rss_over_size": f.rss_ratio(approach),
                        "import_seconds": m.import_seconds if m.runs else None,
                        "runs": [asdict(run) for run in m.runs],
                    }
                    for approach, m in f.measurements.items()
                },
            }
            for f in files
        ],
        "targets": [asdict(check) for check in checks],
        "notes": notes,
    }


# --- command line --------------------------------------------------------------------------------------------


def _approaches(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in APPROACHES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"approaches are some of {','.join(APPROACHES)}, got {text!r}")
    return names


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES_MB), help="sizes in MB: 10,100,500")
    parser.add_argument("--repeat", type=int, default=3, help="runs per file and approach (median reported)")
    parser.add_argument("--approaches", type=_approaches, default=list(APPROACHES), help="original,reference,project")
    parser.add_argument("--gb2", action="store_true", help="add the 2 GB files, for project only (RSS < 600 MiB)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of inputs and results")
    parser.add_argument("--budget-minutes", type=float, default=15.0, help="cut original to 1 run at 500 MB beyond")
    parser.add_argument("--child", nargs=3, metavar=("APPROACH", "FILE", "OUTDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        approach, path, out = args.child
        return _child(approach, Path(path), Path(out))

    started_at, started = datetime.now(UTC), time.perf_counter()
    data_dir: Path = args.data_dir if args.data_dir.is_absolute() else ROOT / args.data_dir
    approaches: list[str] = list(args.approaches)
    notes: list[str] = []
    if "project" in approaches:
        available, reason = _project_available()
        if not available:
            approaches.remove("project")
            notes.append(f"project skipped: orders_etl.engine does not import ({reason})")
            _log(notes[-1])

    files: list[BenchFile] = []
    for size in sorted(set(args.sizes)):
        for fmt in FORMATS:
            files.append(BenchFile(ensure_file(data_dir, size, fmt), fmt, size, list(approaches)))
    if args.gb2:
        if "project" in approaches:
            for fmt in FORMATS:
                files.append(BenchFile(ensure_file(data_dir, GB2_MB, fmt), fmt, GB2_MB, ["project"]))
        else:
            notes.append("--gb2 ignored: the 2 GB files are for project only, which is not available")
    generated = time.perf_counter()
    for bench_file in files:
        bench_file.measurements = {a: Measurement(a, args.repeat) for a in bench_file.approaches}

    scratch = data_dir / "out"
    budget_checked = False
    for index, bench_file in enumerate(files):
        if not budget_checked and bench_file.size_mb >= RSS_TARGET_SIZE_MB and args.repeat > 1:
            budget_checked = True
            cut = _fit_budget(files, files[index:], time.perf_counter() - started, args.budget_minutes * 60)
            notes += cut
            for note in cut:
                _log(note)
        _log(f"{bench_file.path.name} ({bench_file.size_mb} MB):")
        _measure_file(bench_file, scratch)
        print(_file_table(bench_file), end="\n\n", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)

    candidates = [a for a in approaches if a != BASELINE]
    checks = _checks(files, candidates)
    total = time.perf_counter() - started
    notes.append(f"total {total / 60:.1f} min, of which {generated - started:.0f} s generating or checking inputs")
    print(_summary(files, checks, candidates, notes))
    results_path = data_dir / "results.json"
    results_path.write_text(json.dumps(_results_json(files, checks, notes, started_at, total), indent=2) + "\n")
    print(f"\nresults: {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

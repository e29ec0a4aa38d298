"""Benchmark: the project's validate + flatten against the original approach, each run in a fresh process.

    .venv/bin/python -m bench.run [--sizes 10,100,500] [--repeat 3] [--approaches original,reference,project,ceiling]
                                  [--no-many-dates] [--gb2] [--data-dir .bench-data] [--budget-minutes 15]

Approaches:
  original   bench.original.run_original: json.loads + dict loop + pandas.DataFrame + to_parquet (the baseline)
  reference  _reference_project below: orders_etl.contract.read_order_file + orders_etl.flatten, one Parquet
             file per dt partition (the straightforward reference implementation of the contract)
  project    orders_etl.engine.flatten_order_file, the project's own validate + flatten (what the Lambdas run)
  ceiling    bench.ceiling.run_ceiling: DuckDB's raw typed pass with no checks, the engine's columns and settings

Files: 10, 100 and 500 MB as JSON array and JSON Lines, and the many-dates file (100 MB JSON array over 730 days,
one dt partition a day; reference skipped there); ``--gb2`` adds 2 GB files for project and ceiling.

Each run is a fresh ``python -m bench.run --child APPROACH FILE OUTDIR``. The child times its imports and its
work separately (interpreter start-up is in neither) and reports its own peak RSS (``VmHWM`` of its own
address space, or ``getrusage(RUSAGE_SELF).ru_maxrss`` where there is no /proc) on its last line of output.
Results: one table per file, then a summary with one row per file (ratio = original time / project time, issue
14's target and PASS/FAIL, project time / ceiling time, project peak RSS against its limit), and
``<data-dir>/results.json``.
"""

from __future__ import annotations

import argparse
import importlib
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
    DEFAULT_DAYS,
    DEFAULT_SIZES_MB,
    FORMATS,
    GB2_MB,
    GENERATOR_VERSION,
    MANY_DATES_DAYS,
    MANY_DATES_FORMAT,
    MANY_DATES_MB,
    MB,
    Format,
    ensure_file,
    parse_sizes,
)

ROOT = Path(__file__).resolve().parents[1]
APPROACHES = ("original", "reference", "project", "ceiling")
BASELINE = "original"
CANDIDATE = "project"  # the approach the targets apply to
CEILING = "ceiling"
NEEDS_ENGINE = (CANDIDATE, CEILING)  # skipped when orders_etl.engine does not import
SKIPPED_ON_MANY_DATES = ("reference",)  # slow (~8 s a run at 100 MB), and for information only
MIB = 1024 * 1024
RESULT_MARKER = "BENCH-RESULT "

# Issue 14's targets. Ratio = original time / project time on the same file in the same run (a throughput ratio).
TARGET_SPEEDUP_10MB = 3.0  # files under LARGE_FILE_MB (the 10 MB ones), JSON array and JSON Lines
LARGE_FILE_MB = 100
TARGET_SPEEDUP_LARGE = {"json": 3.0, "jsonl": 5.0}  # 100 MB and 500 MB, fresh process
TARGET_SPEEDUP_MANY_DATES = 2.5  # the many-dates file (bench.generate.MANY_DATES_*)
TARGET_PEAK_RSS_MIB = 450.0  # project's peak RSS on every file, any input up to 2 GB
CHILD_TIMEOUT_SECONDS = 3600
FORMAT_NAMES = {"json": "JSON array", "jsonl": "JSON Lines"}


# --- the child: one approach on one file, in a fresh interpreter ---------------------------------------------


def _source_key(input_path: Path) -> str:
    return f"raw/bench/{input_path.name}"


def _reference_project(input_path: Path, output_dir: Path, *, source_key: str) -> dict[str, int]:
    """The straightforward reference implementation of the contract (orders_etl.contract + orders_etl.flatten).

    Reads the whole file, validates it into records, flattens them into one pyarrow table per UTC date and
    writes ``output_dir/dt=YYYY-MM-DD/<file stem>.parquet``. Kept as its own approach (``reference``) once the
    project's engine exists: it is what the engine's output is compared with, so its speed is worth knowing.
    """
    from orders_etl.contract import read_order_file
    from orders_etl.flatten import flatten_records, to_parquet_bytes

    records = read_order_file(input_path.read_bytes(), source_key=source_key)
    result = flatten_records(records, source_key=source_key)
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
    if approach == CANDIDATE:
        import duckdb  # noqa: F401  (the engine imports it lazily: count it as import, not work)

        from orders_etl.engine import flatten_order_file

        def run_project(path: Path, out: Path) -> dict[str, Any]:
            result = flatten_order_file(
                path, out, source_key=_source_key(path), max_bytes=PROJECT_MAX_BYTES, workdir=out.parent / "work"
            )
            summary = result.summary
            return {
                "orders": summary.orders,
                "rows": summary.rows,
                "partitions": len(summary.rows_by_date),
                "engine": summary.engine,
            }

        return run_project
    if approach == CEILING:
        from bench.ceiling import run_ceiling

        for module in ("duckdb", "orders_etl.engine"):  # imported lazily by run_ceiling: import, not work
            importlib.import_module(module)

        return lambda path, out: run_ceiling(path, out, source_key=_source_key(path), workdir=out.parent / "work")
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
    days: int = DEFAULT_DAYS
    measurements: dict[str, Measurement] = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return self.size_mb * MB

    @property
    def speedup_target(self) -> float:
        """Issue 14's target for this file: original time / project time, at least."""
        if self.days != DEFAULT_DAYS:
            return TARGET_SPEEDUP_MANY_DATES
        return TARGET_SPEEDUP_10MB if self.size_mb < LARGE_FILE_MB else TARGET_SPEEDUP_LARGE[self.fmt]

    def ok(self, approach: str) -> Measurement | None:
        measurement = self.measurements.get(approach)
        return measurement if measurement is not None and measurement.runs and not measurement.error else None

    def throughput(self, approach: str) -> float | None:
        measurement = self.ok(approach)
        return self.bytes / MB / measurement.median_seconds if measurement else None

    def rss_ratio(self, approach: str) -> float | None:
        measurement = self.ok(approach)
        return measurement.peak_rss_bytes / self.bytes if measurement else None

    def peak_rss_mib(self, approach: str) -> float | None:
        measurement = self.ok(approach)
        return measurement.peak_rss_bytes / MIB if measurement else None

    def time_ratio(self, numerator: str, denominator: str) -> float | None:
        """Median seconds of numerator / median seconds of denominator (original/project: the speed-up)."""
        top, bottom = self.ok(numerator), self.ok(denominator)
        return top.median_seconds / bottom.median_seconds if top and bottom else None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _engine_available() -> tuple[bool, str]:
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
    """Seconds for one run of approach on target, scaled linearly from the largest measured file of that format
    and no larger (of the same number of days, among the largest, when there is one)."""
    measured = [f for f in files if f.fmt == target.fmt and f.size_mb <= target.size_mb and f.ok(approach)]
    if not measured:
        return None
    base = max(measured, key=lambda f: (f.size_mb, f.days == target.days))
    measurement = base.ok(approach)
    assert measurement is not None
    return measurement.median_seconds * target.size_mb / base.size_mb + measurement.import_seconds + 0.5


# What the budget cuts to one run first: reference (information only), then original (the baseline; its median
# of one run is noisier); the largest files first, where a run costs most.
BUDGET_CUTS = ("reference", BASELINE)


def _fit_budget(files: list[BenchFile], pending: list[BenchFile], elapsed: float, budget: float) -> list[str]:
    """Cut approaches in BUDGET_CUTS to 1 repetition on pending files, as far as the budget needs."""
    notes: list[str] = []

    def projected() -> float:
        total = 0.0
        for bench_file in pending:
            for approach, measurement in bench_file.measurements.items():
                estimate = _estimate_seconds(files, bench_file, approach)
                total += (estimate or 0.0) * measurement.repeat
        return total

    for approach in BUDGET_CUTS:
        for size in sorted({f.size_mb for f in pending}, reverse=True):
            expected = elapsed + projected()
            if expected <= budget:
                return notes
            cut = [
                f
                for f in pending
                if f.size_mb == size and approach in f.measurements and f.measurements[approach].repeat > 1
            ]
            if not cut:
                continue
            before = cut[0].measurements[approach].repeat
            for bench_file in cut:
                bench_file.measurements[approach].repeat = 1
            notes.append(
                f"{approach} runs once (not {before} times) on {', '.join(f.path.name for f in cut)}: the plan was"
                f" projected at {expected / 60:.0f} min, over the {budget / 60:.0f}-minute budget"
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
    counts: dict[str, Any] = {}
    for measurement in bench_file.measurements.values():
        if measurement.runs:
            counts = {**measurement.runs[0].counts, **counts}  # the first approach's figures win
    described = ", ".join(f"{counts[key]:,} {key}" for key in ("orders", "rows", "partitions") if key in counts)
    days = "" if bench_file.days == DEFAULT_DAYS else f" over {bench_file.days} days"
    lines = [
        f"{bench_file.path.name}: {bench_file.bytes / MB:,.0f} MB, {FORMAT_NAMES[bench_file.fmt]}{days}"
        + (f", {described}" if described else ""),
        f"  {'approach':<10} {'runs':>4} {'MB/s':>8} {'median s':>9} {'x original':>10} {'peak RSS MiB':>13}"
        f" {'RSS/size':>9} {'import s':>9}",
    ]
    for approach in bench_file.approaches:
        measurement = bench_file.measurements[approach]
        if not measurement.runs:
            lines.append(f"  {approach:<10} ERROR: {measurement.error}")
            continue
        lines.append(
            f"  {approach:<10} {len(measurement.runs):>4} {_fmt(bench_file.throughput(approach), '8.1f')}"
            f" {measurement.median_seconds:>9.2f} {_fmt(bench_file.time_ratio(BASELINE, approach), '9.2f', 'x')}"
            f" {measurement.peak_rss_bytes / MIB:>13.0f} {_fmt(bench_file.rss_ratio(approach), '8.2f', 'x')}"
            f" {measurement.import_seconds:>9.3f}"
        )
        if measurement.error:
            lines.append(f"  {'':<10} (a later run failed: {measurement.error})")
    rows = {a: m.runs[0].counts.get("rows") for a, m in bench_file.measurements.items() if m.runs}
    if len({value for value in rows.values() if value is not None}) > 1:
        lines.append(f"  WARNING: the approaches disagree on the number of rows: {rows}")
    return "\n".join(lines)


@dataclass
class Check:
    kind: str  # "speed" or "memory"
    target: str
    file: str
    value: str
    passed: bool | None  # None: not measured


def _checks(files: list[BenchFile]) -> list[Check]:
    """Issue 14's targets, for project: its speed-up on every file original ran on, its peak RSS on every file."""
    checks: list[Check] = []
    for bench_file in files:
        if CANDIDATE not in bench_file.measurements:
            continue
        name = bench_file.path.name
        if BASELINE in bench_file.measurements:
            goal = bench_file.speedup_target
            speedup = bench_file.time_ratio(BASELINE, CANDIDATE)
            passed = None if speedup is None else speedup >= goal
            checks.append(Check("speed", f">= {goal:g}x original", name, _fmt(speedup, ".2f", "x"), passed))
        mib = bench_file.peak_rss_mib(CANDIDATE)
        passed = None if mib is None else mib <= TARGET_PEAK_RSS_MIB
        checks.append(
            Check("memory", f"peak RSS <= {TARGET_PEAK_RSS_MIB:g} MiB", name, _fmt(mib, ".0f", " MiB"), passed)
        )
    return checks


def _result(check: Check | None) -> str:
    return "-" if check is None else "n/a" if check.passed is None else "PASS" if check.passed else "FAIL"


def _summary(files: list[BenchFile], checks: list[Check], notes: list[str]) -> str:
    verdicts = {(check.file, check.kind): check for check in checks}
    lines = [
        "",
        f"Summary: {CANDIDATE} against issue 14's targets (median seconds of the runs)",
        f"  ratio = {BASELINE} s / {CANDIDATE} s, same file, same run; speed: PASS when ratio >= target",
        f"  {CANDIDATE}/{CEILING} = {CANDIDATE} s / {CEILING} s, for information (the long-term goal is 1x)",
        f"  memory: PASS when {CANDIDATE}'s peak RSS <= {TARGET_PEAK_RSS_MIB:g} MiB (every file, up to 2 GB)",
        f"  {'file':<26} {'original s':>10} {'project s':>9} {'ceiling s':>9} {'ratio':>7} {'target':>6} {'speed':>5}"
        f" {'project/ceiling':>15} {'project RSS MiB':>15} {'memory':>6}",
    ]
    for bench_file in files:
        name = bench_file.path.name
        speed = verdicts.get((name, "speed"))
        seconds = [bench_file.ok(a) for a in (BASELINE, CANDIDATE, CEILING)]
        original, project, ceiling = (_fmt(m.median_seconds if m else None, ".2f") for m in seconds)
        target = f"{bench_file.speedup_target:g}x" if speed else "-"
        lines.append(
            f"  {name:<26} {original:>10} {project:>9} {ceiling:>9}"
            f" {_fmt(bench_file.time_ratio(BASELINE, CANDIDATE), '.2f', 'x'):>7} {target:>6} {_result(speed):>5}"
            f" {_fmt(bench_file.time_ratio(CANDIDATE, CEILING), '.2f', 'x'):>15}"
            f" {_fmt(bench_file.peak_rss_mib(CANDIDATE), '.0f'):>15} {_result(verdicts.get((name, 'memory'))):>6}"
        )
    if checks:
        met = {kind: [c.passed is True for c in checks if c.kind == kind] for kind in ("speed", "memory")}
        verdict = ", ".join(f"{kind} {sum(passed)} of {len(passed)}" for kind, passed in met.items() if passed)
        everything = all(check.passed is True for check in checks)
        lines.append(f"  {CANDIDATE}: {'every target met' if everything else 'targets met'}: {verdict}")
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
                "days": f.days,
                "speedup": f.time_ratio(BASELINE, CANDIDATE),
                "speedup_target": f.speedup_target if BASELINE in f.measurements else None,
                "project_over_ceiling": f.time_ratio(CANDIDATE, CEILING),
                "approaches": {
                    approach: {
                        "repeat": m.repeat,
                        "error": m.error,
                        "median_seconds": m.median_seconds if m.runs else None,
                        "mb_per_s": f.throughput(approach),
                        "peak_rss_mib": f.peak_rss_mib(approach),
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
    parser.add_argument("--approaches", type=_approaches, default=list(APPROACHES), help=",".join(APPROACHES))
    parser.add_argument(
        "--no-many-dates", action="store_true", help=f"skip the {MANY_DATES_MB} MB file over {MANY_DATES_DAYS} days"
    )
    parser.add_argument("--gb2", action="store_true", help=f"add the 2 GB files, for {' and '.join(NEEDS_ENGINE)}")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache of inputs and results")
    parser.add_argument(
        "--budget-minutes", type=float, default=15.0, help=f"beyond, cut {' then '.join(BUDGET_CUTS)} to 1 run"
    )
    parser.add_argument("--child", nargs=3, metavar=("APPROACH", "FILE", "OUTDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _plan(args: argparse.Namespace, data_dir: Path, approaches: list[str], notes: list[str]) -> list[BenchFile]:
    """The files in the order they run (by size; the many-dates file after the others of its size), generated."""
    specs = [(size, fmt, DEFAULT_DAYS) for size in sorted(set(args.sizes)) for fmt in FORMATS]
    if not args.no_many_dates:
        specs.append((MANY_DATES_MB, MANY_DATES_FORMAT, MANY_DATES_DAYS))
    files: list[BenchFile] = []
    for size, fmt, days in sorted(specs, key=lambda spec: spec[0]):  # stable: the many-dates file comes last
        chosen = [a for a in approaches if days == DEFAULT_DAYS or a not in SKIPPED_ON_MANY_DATES]
        files.append(BenchFile(ensure_file(data_dir, size, fmt, days=days), fmt, size, chosen, days))
        if chosen != approaches:
            skipped = ", ".join(a for a in approaches if a not in chosen)
            notes.append(f"{skipped} not run on {files[-1].path.name} (slow, and for information only)")
    if args.gb2:
        chosen = [a for a in approaches if a in NEEDS_ENGINE]
        if chosen:
            files += [BenchFile(ensure_file(data_dir, GB2_MB, fmt), fmt, GB2_MB, chosen) for fmt in FORMATS]
        else:
            notes.append(f"--gb2 ignored: the 2 GB files are for {' and '.join(NEEDS_ENGINE)}, not run here")
    for bench_file in files:
        bench_file.measurements = {a: Measurement(a, args.repeat) for a in bench_file.approaches}
    return files


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        approach, path, out = args.child
        return _child(approach, Path(path), Path(out))

    started_at, started = datetime.now(UTC), time.perf_counter()
    data_dir: Path = args.data_dir if args.data_dir.is_absolute() else ROOT / args.data_dir
    approaches: list[str] = list(args.approaches)
    notes: list[str] = []
    if any(approach in NEEDS_ENGINE for approach in approaches):
        available, reason = _engine_available()
        if not available:
            skipped = [approach for approach in approaches if approach in NEEDS_ENGINE]
            approaches = [approach for approach in approaches if approach not in NEEDS_ENGINE]
            notes.append(f"{', '.join(skipped)} skipped: orders_etl.engine does not import ({reason})")
            _log(notes[-1])

    files = _plan(args, data_dir, approaches, notes)
    generated = time.perf_counter()
    scratch = data_dir / "out"
    for index, bench_file in enumerate(files):
        if index and args.repeat > 1:
            cut = _fit_budget(files, files[index:], time.perf_counter() - started, args.budget_minutes * 60)
            notes += cut
            for note in cut:
                _log(note)
        _log(f"{bench_file.path.name} ({bench_file.size_mb} MB):")
        _measure_file(bench_file, scratch)
        print(_file_table(bench_file), end="\n\n", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)

    checks = _checks(files)
    total = time.perf_counter() - started
    notes.append(f"total {total / 60:.1f} min, of which {generated - started:.0f} s generating or checking inputs")
    print(_summary(files, checks, notes))
    results_path = data_dir / "results.json"
    results_path.write_text(json.dumps(_results_json(files, checks, notes, started_at, total), indent=2) + "\n")
    print(f"\nresults: {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

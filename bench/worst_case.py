"""The slowest path of validate + flatten, on one core: what the functions' Timeout must cover.

The fast path (DuckDB) hands a file to the reference implementation (orders_etl.contract) when it cannot vouch
for it. That costs DuckDB's whole read *plus* the reference's, and is the worst case per byte:

  nan       the last order has an unknown field holding NaN (not JSON: validate reads it all twice, rejects it)
  digits16  the last order holds a number of 16 digits around a point (valid: validate and flatten both go the
            reference's way)
  late_bad  the last order breaks the contract (validate reads it all twice, then rejects it)
  all_bad   every product of quantity 1 has quantity 0 (most orders break the contract: problems all along)

Each (variant, step) runs in a fresh process pinned to one CPU (`taskset`), as Lambda gives a function one vCPU
at 1,769 MB and a share of one below that. Prints the median of `--repeat` runs in MB/s (10^6 bytes of content,
after gunzip), the most /tmp a run needed (the input plus its scratch files, sampled) as a multiple of the
content, the peak RSS, and the machine's load before and after: on a busy machine the figures drop (up to 3x was
seen here).

    .venv/bin/python -m bench.worst_case [--sizes-mib 32,64,128] [--repeat 3] [--cpu 0]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.generate import DEFAULT_DATA_DIR, write_orders

MIB = 1024 * 1024
VARIANTS = ("nan", "digits16", "late_bad", "all_bad")
FORMATS = ("json", "jsonl", "jsonl.gz")
MARKER = "WORST-CASE "


def variant_file(data_dir: Path, size_mib: int, variant: str, fmt: str = "json") -> Path:
    """`size_mib` MiB of orders whose last order is altered as `variant` says, as a JSON array (`json`), JSON Lines
    (`jsonl`) or gzipped JSON Lines (`jsonl.gz`, `size_mib` before compression); cached in data_dir."""
    path = data_dir / f"worst-{size_mib}MiB.{variant}.{fmt}"
    if path.exists():
        return path
    if fmt != "json":
        array = variant_file(data_dir, size_mib, variant).read_bytes()
        # write_orders puts each order on one line: JSON Lines is the array without brackets and commas
        lines = array.removeprefix(b"[\n").removesuffix(b"\n]\n").replace(b",\n{", b"\n{") + b"\n"
        path.write_bytes(gzip.compress(lines, compresslevel=6) if fmt.endswith(".gz") else lines)
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    base = data_dir / f"worst-{size_mib}MiB.base.json"
    if not base.exists():
        write_orders(base, "json", size_mib * MIB)
    text = base.read_bytes()
    if variant == "all_bad":
        path.write_bytes(text.replace(b'"quantity": 1}', b'"quantity": 0}'))  # same size
        return path
    start = text.rindex(b",\n{") + 2  # the last order (write_orders pads it with a "note" to the exact size)
    last = json.loads(text[start:].removesuffix(b"\n]\n"))
    if variant == "nan":
        last["score"] = float("nan")  # json.dumps writes NaN: not JSON, which is the point
    elif variant == "digits16":
        last["reference_number"] = 1234567890123.456  # more digits than a double holds exactly: the scan doubts it
    else:
        last["total_amount"] = 1.005  # three decimals: a contract violation in the file's last order
    path.write_bytes(text[:start] + json.dumps(last, ensure_ascii=False).encode() + b"\n]\n")
    return path


def content_bytes(path: Path) -> int:
    """The size the limits count: after gunzip (gzip's trailer holds it modulo 4 GiB, enough here)."""
    if path.suffix != ".gz":
        return path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(-4, 2)
        return int.from_bytes(handle.read(4), "little")


def _bytes_under(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # removed while counting
                total += (Path(root) / name).stat().st_size
    return total


class _ScratchPeak(threading.Thread):
    """The most bytes seen under the scratch folder, sampled every 20 ms (what /tmp must hold beside the input)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(daemon=True)
        self.folder, self.peak, self.done = folder, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _bytes_under(self.folder))


def _child(step: str, path: Path, workdir: Path) -> None:
    import duckdb  # noqa: F401  (imports are the Lambda's init phase, outside its timeout: not timed)

    from orders_etl.engine import flatten_order_file, scan_order_file
    from orders_etl.errors import InvalidOrderFile

    scratch = _ScratchPeak(workdir)
    scratch.start()
    started = time.perf_counter()
    outcome = "valid"
    try:
        if step == "validate":
            summary = scan_order_file(path, source_key="raw/w.json", max_bytes=2**40, workdir=workdir / "work")
        else:
            summary = flatten_order_file(
                path, workdir / "out", source_key="raw/w.json", max_bytes=2**40, workdir=workdir / "work"
            ).summary
        outcome = summary.engine
    except InvalidOrderFile:
        outcome = "rejected"
    seconds = time.perf_counter() - started
    scratch.done.set()
    scratch.join()
    # The Lambda downloads the object to /tmp too: the peak it needs is the input plus the scratch files.
    tmp = path.stat().st_size + scratch.peak
    status = Path("/proc/self/status").read_text()
    rss = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024
    print(MARKER + json.dumps({"seconds": seconds, "outcome": outcome, "tmp_bytes": tmp, "rss_bytes": rss}), flush=True)


def _run(step: str, path: Path, cpu: str) -> tuple[float, str, int, int]:
    workdir = Path(tempfile.mkdtemp(prefix="worst-case-"))
    try:
        command = ["taskset", "-c", cpu, sys.executable, "-m", "bench.worst_case", "--child", step, str(path)]
        command += ["--workdir", str(workdir)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        line = next(line for line in output.splitlines() if line.startswith(MARKER))
        result = json.loads(line.removeprefix(MARKER))
        return float(result["seconds"]), str(result["outcome"]), int(result["tmp_bytes"]), int(result["rss_bytes"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worst_case", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-mib", default="32,64,128")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", default="0", help="the CPU list given to taskset (one CPU: as on Lambda)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--child", nargs=2, metavar=("STEP", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]), args.workdir)
        return 0
    print(f"load before: {os.getloadavg()}  cpu: {args.cpu}  repeat: {args.repeat}", flush=True)
    header = f"{'file':<34} {'step':<9} {'outcome':<10} {'median s':>9} {'MB/s':>7} {'/tmp x':>6} {'RSS MiB':>7}"
    print(f"{header}  runs", flush=True)
    for size in (int(part) for part in args.sizes_mib.split(",")):
        for variant, fmt in ((v, f) for v in args.variants.split(",") for f in args.formats.split(",")):
            path = variant_file(args.data_dir, size, variant, fmt)
            path.read_bytes()  # into the page cache: the Lambda reads its copy from local /tmp
            steps = ("validate", "flatten") if variant == "digits16" else ("validate",)  # flatten gets valid files
            for step in steps:
                runs = [_run(step, path, args.cpu) for _ in range(args.repeat)]
                median = statistics.median(run[0] for run in runs)
                mb_s = content_bytes(path) / 1e6 / median
                tmp = max(run[2] for run in runs) / content_bytes(path)
                rss = max(run[3] for run in runs) / MIB
                times = " ".join(f"{run[0]:.1f}" for run in runs)
                row = f"{path.name:<34} {step:<9} {runs[0][1]:<10} {median:>9.1f} {mb_s:>7.2f} {tmp:>6.2f} {rss:>7.0f}"
                print(f"{row}  {times}", flush=True)
    print(f"load after: {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: tiny files through the whole pipeline on the embedded AWS (issue 14's per-function targets).

    .venv/bin/python -m bench.pipeline [--files 60] [--warmup 3] [--one-at-a-time] [--log PATH]

The stack is deployed from template.yaml on the embedded AWS in this process; N tiny order files (3 orders,
about 1.2 KB each, each its own content and key under raw/) are uploaded at once (or one at a time with
--one-at-a-time) and every execution is waited for. The figures are the handler durations the embedded Lambda
runtime records per call (`embedded_aws.lambda_runtime.handler_seconds`: the handler's own time, without the
wait for the runtime's lock or the module import), which is what Lambda bills. The first --warmup calls of each
function (cold start: first connections, lazy imports) are left out of the median and p90.

Targets (issue 14): median Validate <= 40 ms, Flatten <= 100 ms. Start crawl and Check crawl are shown for
information. A missed target is reported, not an error: the exit status is 0 unless the pipeline itself failed
(an execution that did not succeed, or did not end in time). The functions' logs go to --log, not the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import DEFAULT_DATA_DIR, SEED, write_order_count
from embedded_aws import lambda_runtime
from embedded_aws.cfn_names import generated_name
from embedded_aws.cfn_template import load_template
from embedded_aws.glue_crawls import CrawlTimeModel
from embedded_aws.server import TEMPLATE, EmbeddedAws
from orders_etl_cli.executions import list_executions, wait_for_executions
from orders_etl_cli.stack import StackContext
from orders_etl_cli.text_table import format_table

ORDERS_PER_FILE = 3
# As the tests' embedded AWS: waits at 1/100 of their length, a crawl of nothing in 20 AWS seconds (0.2 s).
TIME_SCALE = 0.01
CRAWL_TIME = CrawlTimeModel(base_seconds=20, seconds_per_object=0.005)
# As the burst test: checks every 60 AWS seconds (0.6 s), so that a burst's executions do not spend it polling
# a crawl, and enough of them to cover the crawl of a whole burst.
PARAMETERS = {"CrawlPollIntervalSeconds": "60", "CrawlPollLimit": "1000"}


@dataclass(frozen=True)
class Function:
    logical_id: str  # in template.yaml
    label: str
    target_ms: float | None  # the median must be at most this; None: shown for information


FUNCTIONS = (
    Function("ValidateOrderFileFunction", "Validate", 40.0),
    Function("FlattenOrdersFunction", "Flatten", 100.0),
    Function("StartCrawlFunction", "Start crawl", None),
    Function("CheckCrawlFunction", "Check crawl", None),
)


@dataclass
class Run:
    seconds: dict[str, list[float]]  # logical id (or function name if not in the template) -> seconds per call
    statuses: Counter[str]
    wall: float
    error: str | None = None  # why the pipeline did not finish


def logical_ids(stack_name: str, region: str) -> dict[str, str]:
    """Deployed function name -> logical id, for the template's functions (all unnamed: CloudFormation names them)."""
    resources: dict[str, dict[str, Any]] = load_template(TEMPLATE)["Resources"]
    kinds = ("AWS::Serverless::Function", "AWS::Lambda::Function")
    return {
        generated_name("AWS::Lambda::Function", stack_name, logical_id, region): logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] in kinds
    }


def tiny_files(count: int, workdir: Path) -> dict[str, bytes]:
    """`count` files of 3 orders, each generated with its own seed (so its own content), each its own key."""
    files = {}
    for n in range(count):
        generated = write_order_count(workdir / f"orders-{n:04d}.json", ORDERS_PER_FILE, seed=SEED + n)
        files[f"raw/bench-pipeline/orders-{n:04d}.json"] = generated.path.read_bytes()
    return files


def run_pipeline(files: dict[str, bytes], one_at_a_time: bool, timeout: float) -> Run:
    """Deploy the stack on an embedded AWS in this process, upload `files`, wait for every execution."""
    # One call at a time: on AWS each call has a CPU of its own, and the handler time Lambda bills is measured on
    # it; here concurrent calls would share one core (and the GIL), so each call's time would count the others'.
    with EmbeddedAws(port=0, time_scale=TIME_SCALE, crawl_time=CRAWL_TIME, lambda_concurrency=1) as aws:
        stack = StackContext(outputs=aws.deploy(parameter_overrides=PARAMETERS), endpoint_url=aws.endpoint_url)
        names = logical_ids(aws.stack_name, aws.region)
        s3, sfn = stack.client("s3"), stack.client("stepfunctions")
        bucket, state_machine = stack.outputs["DataBucketName"], stack.outputs["StateMachineArn"]
        lambda_runtime.handler_seconds.clear()
        started = time.monotonic()
        error = None
        try:
            for uploaded, (key, body) in enumerate(files.items(), start=1):
                s3.put_object(Bucket=bucket, Key=key, Body=body)
                if one_at_a_time:
                    wait_for_executions(sfn, state_machine, uploaded, timeout=timeout)
            wait_for_executions(sfn, state_machine, len(files), timeout=timeout)
        except TimeoutError as timed_out:
            error = str(timed_out)
        wall = time.monotonic() - started
        statuses = Counter(e["status"] for e in list_executions(sfn, state_machine))
        seconds = {names.get(name, name): list(calls) for name, calls in lambda_runtime.handler_seconds.items()}
    return Run(seconds, statuses, wall, error)


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


def report_rows(seconds: dict[str, list[float]], warmup: int) -> tuple[list[tuple[str, ...]], int, int]:
    """Table rows (function, calls, median ms, p90 ms, target ms, result), and the targets met and set."""
    known = {function.logical_id: function for function in FUNCTIONS}
    others = [Function(name, name, None) for name in sorted(seconds) if name not in known]
    rows: list[tuple[str, ...]] = []
    met = targets = 0
    for function in [*FUNCTIONS, *others]:
        calls = seconds.get(function.logical_id, [])
        warm = calls[warmup:]
        median = statistics.median(warm) * 1000 if warm else None
        target = "-" if function.target_ms is None else f"{function.target_ms:g}"
        result = "-"
        if function.target_ms is not None:
            targets += 1
            passed = median is not None and median <= function.target_ms
            met += passed
            result = "PASS" if passed else "FAIL"
        rows.append(
            (
                function.label,
                f"{len(warm)} (+{len(calls) - len(warm)})",
                "-" if median is None else f"{median:.1f}",
                f"{_p90(warm) * 1000:.1f}" if warm else "-",
                target,
                result,
            )
        )
    return rows, met, targets


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=60, help="tiny files to upload (60)")
    parser.add_argument("--warmup", type=int, default=3, help="first calls of each function left out (3)")
    parser.add_argument("--one-at-a-time", action="store_true", help="wait for each file's execution before the next")
    parser.add_argument(
        "--log", type=Path, default=DEFAULT_DATA_DIR / "pipeline-functions.log", help="where the functions' logs go"
    )
    args = parser.parse_args(argv)
    if args.files < 1 or args.warmup < 0:
        parser.error("--files must be at least 1 and --warmup at least 0")
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as scratch:
        files = tiny_files(args.files, Path(scratch))
    sizes = [len(body) for body in files.values()]
    how = "one at a time" if args.one_at_a_time else "at once"
    print(
        f"pipeline on the embedded AWS: {len(files)} tiny files ({ORDERS_PER_FILE} orders, "
        f"{min(sizes):,}-{max(sizes):,} bytes) uploaded {how}; handler time per call as the runtime records it "
        "(what Lambda bills)",
        flush=True,
    )
    print(f"load average at start: {_load()} ({os.cpu_count()} CPUs)", flush=True)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    timeout = 120.0 + 2.0 * len(files)
    with args.log.open("w") as log, contextlib.redirect_stdout(log):
        run = run_pipeline(files, args.one_at_a_time, timeout)
    rows, met, targets = report_rows(run.seconds, args.warmup)
    print(format_table(["function", "calls", "median ms", "p90 ms", "target ms", "result"], rows))
    print(
        f"warm-up: the first {args.warmup} calls of each function (cold start) are left out of median and p90; "
        "calls shows the rest (+ those left out)"
    )
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(run.statuses.items()))
    print(f"executions: {statuses} in {run.wall:.1f} s; the functions' logs are in {args.log}")
    print(f"load average at end: {_load()}")
    print(f"{met} of {targets} pipeline targets met")
    failed = run.error is not None or run.statuses.get("SUCCEEDED", 0) != len(files)
    if failed:
        print(f"the pipeline did not process every file: {run.error or statuses}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""`orders-etl backfill`: reprocess a prefix of the raw area on the Backfill state machine (Distributed Map).

The same code runs against AWS (CloudFormation outputs) and the embedded AWS (`.local/outputs.json`).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orders_etl.quarantine import error_message
from orders_etl_cli.arguments import COUNT, PERCENTAGE, POSITIVE
from orders_etl_cli.failures import CommandError
from orders_etl_cli.progress import ProgressDisplay
from orders_etl_cli.stack import StackContext, open_stack

FINISHED_ITEMS = ("succeeded", "failed", "timedOut", "aborted")


def add_backfill_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_stack_arguments: Callable[[argparse.ArgumentParser], None],
) -> None:
    backfill = commands.add_parser(
        "backfill", help="reprocess every order file under a prefix of raw/ (Distributed Map), then crawl once"
    )
    backfill.add_argument(
        "--prefix",
        help="a path below the raw area: raw/2025/11/ or 2025/11/ (the stack's RawPrefix, raw/ by default, is "
        "added when missing); a path in another area of the bucket (quarantine/, parquet_files/...) is refused: "
        "pass raw/quarantine/ for a folder of that name below raw/ (default: all of raw/)",
    )
    backfill.add_argument("--max-concurrency", type=COUNT, metavar="N", help="batches run at once")
    backfill.add_argument("--batch-size", type=COUNT, metavar="N", help="files per child workflow")
    backfill.add_argument(
        "--tolerated-failure-percentage", type=PERCENTAGE, metavar="P", help="files that may fail before the run fails"
    )
    backfill.add_argument(
        "--wait", action="store_true", help="show progress (files done / total, on stderr) until it ends"
    )
    backfill.add_argument(
        "--timeout", type=POSITIVE, default=6 * 3600.0, metavar="S", help="longest wait (default 6 h)"
    )
    add_stack_arguments(backfill)


@dataclass(frozen=True)
class MapRunCounts:
    done: int
    total: int
    failed: int

    def line(self) -> str:
        if self.total == 0:
            return "listing the files..."
        percent = 100 * self.done / self.total
        return f"{self.done} / {self.total} files processed ({percent:.0f} %), {self.failed} failed"


def run_backfill(args: argparse.Namespace) -> int:
    stack = open_stack(args.outputs, args.stack_name, args.profile, args.region)
    return _backfill(stack, args)


def backfill_input(prefix: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """The execution input: only the options given; the state machine applies the stack's defaults."""
    options: dict[str, Any] = {}
    if prefix is not None:
        options["prefix"] = prefix
    if args.max_concurrency is not None:
        options["max_concurrency"] = args.max_concurrency
    if args.batch_size is not None:
        options["batch_size"] = args.batch_size
    if args.tolerated_failure_percentage is not None:
        options["tolerated_failure_percentage"] = args.tolerated_failure_percentage
    return options


def raw_key_prefix(given: str, raw_prefix: str, bucket: str, other_areas: Callable[[], set[str]]) -> str:
    """The key prefix below `raw_prefix` that `given` names (raw/<path>, <path> or s3://bucket/raw/<path>).

    A path whose first folder is another area of the bucket (`other_areas()`: the quarantine, the reports, the
    Parquet...) is refused rather than read as a folder below raw/: `quarantine/` is far likelier a mistake.
    """
    path = given.removeprefix(f"s3://{bucket}/").lstrip("/")
    if path == raw_prefix.rstrip("/"):
        return raw_prefix
    if path.startswith(raw_prefix):
        return path
    if given.startswith("s3://"):
        raise CommandError(
            f"--prefix {given!r} is outside the raw area s3://{bucket}/{raw_prefix}: pass {raw_prefix}<path> or <path>"
        )
    if path.split("/", 1)[0] + "/" in other_areas():
        raise CommandError(
            f"--prefix {given!r} is outside the raw area {raw_prefix}: backfill reads only {raw_prefix}; pass a path "
            f"below it, as {raw_prefix}<path> or <path> ({raw_prefix}{path} for a folder of that name below it)"
        )
    return raw_prefix + path


def bucket_areas(stack: StackContext) -> set[str]:
    """The top-level folders of the data bucket and the stack's *Prefix outputs, but the raw area."""
    outputs = stack.outputs
    listing = stack.client("s3").list_objects_v2(Bucket=outputs["DataBucketName"], Delimiter="/")
    folders = {item["Prefix"] for item in listing.get("CommonPrefixes", [])}
    named = {value for key, value in outputs.items() if key.endswith("Prefix")}
    return (folders | named) - {outputs["RawPrefix"]}


def _backfill(stack: StackContext, args: argparse.Namespace) -> int:
    sfn = stack.client("stepfunctions")
    raw_prefix, bucket = stack.outputs["RawPrefix"], stack.outputs["DataBucketName"]
    prefix = raw_key_prefix(args.prefix, raw_prefix, bucket, lambda: bucket_areas(stack)) if args.prefix else None
    options = backfill_input(prefix, args)
    name = f"backfill-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    arn = sfn.start_execution(
        stateMachineArn=stack.outputs["BackfillStateMachineArn"], name=name, input=json.dumps(options)
    )["executionArn"]
    print(f"started backfill {name} over s3://{bucket}/{prefix or raw_prefix}")
    if not stack.is_embedded:
        region = arn.split(":")[3]
        print(
            f"console: https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"
        )
    if not args.wait:
        print(f"not waiting: `orders-etl executions show {arn}` shows where it is")
        return 0
    started = time.monotonic()
    execution = follow(sfn, arn, args.timeout, poll_seconds=0.2 if stack.is_embedded else 5.0)
    return print_outcome(execution, time.monotonic() - started)


def map_run_progress(sfn: Any, execution_arn: str) -> MapRunCounts | None:
    runs = sfn.list_map_runs(executionArn=execution_arn).get("mapRuns", [])
    if not runs:
        return None
    counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["itemCounts"]
    done = sum(int(counts.get(name, 0)) for name in FINISHED_ITEMS)
    failed = int(counts.get("failed", 0)) + int(counts.get("timedOut", 0))
    return MapRunCounts(done, int(counts.get("total", 0)), failed)


def follow(sfn: Any, arn: str, timeout: float, poll_seconds: float) -> dict[str, Any]:
    """Shows the Map Run's progress on stderr as it changes; returns the execution once it has ended."""
    deadline = time.monotonic() + timeout
    with ProgressDisplay("files processed") as display:
        while True:
            execution: dict[str, Any] = sfn.describe_execution(executionArn=arn)
            counts = map_run_progress(sfn, arn)
            line = counts.line() if counts else "starting..."
            if counts is None:
                display.update(0, None, log_line=line)
            else:
                display.update(counts.done, counts.total, note=f"{counts.failed} failed", log_line=line)
            if execution["status"] != "RUNNING":
                return execution
            if time.monotonic() > deadline:
                raise TimeoutError(f"{arn} still running after {timeout:g} s; it goes on without us")
            time.sleep(poll_seconds)


def print_outcome(execution: dict[str, Any], seconds: float) -> int:
    status = execution["status"]
    if status != "SUCCEEDED":
        message = error_message(execution.get("cause", "")).split("\n", 1)[0]
        print(f"{status}: {execution.get('error', '')}: {message}")
        print(f"once the cause is fixed, redrive it (failed batches rerun): {execution['executionArn']}")
        return 1
    output = json.loads(execution.get("output") or "{}")
    summary = output.get("summary", {})
    files = int(summary.get("files", 0))
    print(
        f"SUCCEEDED in {seconds:.1f} s ({files / seconds if seconds else 0:.1f} files/s): "
        f"{files} files, {summary.get('published', 0)} published ({summary.get('rows', 0)} rows), "
        f"{summary.get('quarantined', 0)} quarantined, {summary.get('skipped', 0)} skipped, "
        f"{summary.get('gone', 0)} gone, {summary.get('failed', 0)} failed"
    )
    crawl = (output.get("crawl") or {}).get("check", {}).get("status")
    print(f"crawl: {crawl or 'none (nothing published)'}; report: {summary.get('report_key', '')}")
    if summary.get("failed"):
        print("some files failed after retries (within the tolerated percentage): run the backfill again for them")
        return 1
    return 0

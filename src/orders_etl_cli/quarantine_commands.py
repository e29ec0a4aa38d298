"""`orders-etl quarantine list|show|replay`: the files the pipeline rejected, why, and sending a fixed one again.

The same code runs against AWS (CloudFormation outputs) and the embedded AWS (`.local/outputs.json`).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from typing import Any

from orders_etl.errors import DATA_ERRORS
from orders_etl.output_keys import report_key
from orders_etl.quarantine import TIMED_OUT, error_message
from orders_etl.s3_objects import head_object_or_none
from orders_etl_cli.arguments import COUNT, POSITIVE
from orders_etl_cli.quarantine_area import QuarantineArea, find_area, list_quarantined, read_report
from orders_etl_cli.quarantine_replay import (
    QuarantineError,
    Replay,
    move_back_to_raw,
    newest_executions,
    wait_for_replay,
)
from orders_etl_cli.stack import StackContext, open_stack
from orders_etl_cli.text_table import Column, format_table, print_rows

# The table of `quarantine list`; its --json rows are QuarantinedFile.as_json(), whose keys these columns show.
LIST_COLUMNS = [
    Column("quarantined key", "quarantined_key"),
    Column("error", "error_type"),
    Column("reason", "reason"),
    Column("quarantined at", "quarantined_at"),
    Column("execution", "execution_name"),
]


def add_quarantine_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_stack_arguments: Callable[[argparse.ArgumentParser], None],
) -> None:
    quarantine = commands.add_parser("quarantine", help="rejected files: list them, show why, replay a fixed one")
    actions = quarantine.add_subparsers(dest="quarantine_command", required=True)

    listing = actions.add_parser("list", help="every quarantined file with its error, newest first")
    listing.add_argument("--limit", type=COUNT, metavar="N", help="only the N most recently quarantined")
    listing.add_argument(
        "--json",
        action="store_true",
        help="the rows as a JSON list (the columns' keys, plus source_key, report_key, problem_count, "
        "execution_arn, size_bytes)",
    )
    add_stack_arguments(listing)

    show = actions.add_parser("show", help="the report of one quarantined file: error, problems, execution")
    show.add_argument("key", help="quarantine/<path>, raw/<path> or <path>")
    show.add_argument(
        "--json", action="store_true", help="the file and its report (with every problem) as one JSON object"
    )
    add_stack_arguments(show)

    replay = actions.add_parser("replay", help="move a (fixed) quarantined file back to raw/ and follow its execution")
    replay.add_argument("key", help="quarantine/<path>, raw/<path> or <path>")
    replay.add_argument("--no-wait", action="store_true", help="return once the file is back in raw/")
    replay.add_argument(
        "--timeout", type=POSITIVE, default=600.0, metavar="S", help="longest wait for the execution (default: 600)"
    )
    add_stack_arguments(replay)


def run_quarantine(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[StackContext, QuarantineArea, argparse.Namespace], int]] = {
        "list": _list_command,
        "show": _show_command,
        "replay": _replay_command,
    }
    stack = open_stack(args.outputs, args.stack_name, args.profile, args.region)
    return commands[args.quarantine_command](stack, find_area(stack), args)


def _list_command(stack: StackContext, area: QuarantineArea, args: argparse.Namespace) -> int:
    files, total = list_quarantined(stack.client("s3"), area, args.limit)
    footer = f"({len(files)} of {total} quarantined files in {area.url(area.quarantine_prefix)})"
    print_rows(LIST_COLUMNS, [item.as_json(area) for item in files], as_json=args.json, footer=footer)
    return 0


def _show_command(stack: StackContext, area: QuarantineArea, args: argparse.Namespace) -> int:
    s3 = stack.client("s3")
    key = area.quarantined_key(area.path_of(args.key))
    head = head_object_or_none(s3, area.bucket, key)
    if head is None:
        raise QuarantineError(f"nothing quarantined at {area.url(key)} (`orders-etl quarantine list` shows what is)")
    report, replay = read_report(s3, area.bucket, key), replay_command(key, args)
    if args.json:
        print(json.dumps(_report_document(area, key, head["ContentLength"], report, replay), indent=2))
    else:
        print(format_report(area, key, head["ContentLength"], report, replay))
    return 0


def _report_document(
    area: QuarantineArea, key: str, size_bytes: int, report: dict[str, Any] | None, replay: str
) -> dict[str, Any]:
    return {
        "quarantined_key": key,
        "source_key": area.source_key(key, report),
        "size_bytes": size_bytes,
        "report_key": report_key(key) if report is not None else None,
        "report": report,
        "replay_command": replay,
    }


def format_report(area: QuarantineArea, key: str, size_bytes: int, report: dict[str, Any] | None, replay: str) -> str:
    lines = [f"file:         {area.url(key)} ({size_bytes} bytes), from {area.source_key(key, report)}"]
    if report is None:
        lines.append(f"report:       none at {area.url(report_key(key))}")
    else:
        lines += [
            f"error:        {report.get('error_type', '')}: {report.get('message', '')}",
            f"quarantined:  {report.get('quarantined_at', '')}",
            f"execution:    {report.get('execution_arn', '')}",
        ]
        lines += _problem_lines(report.get("problems") or [])
    if report is not None and report.get("error_type") == TIMED_OUT:
        # Nothing in the file is wrong: it was too slow for the function's memory (CPU follows memory).
        lines += ["", "to replay it once the function has more memory (the report says which), run:", f"  {replay}"]
    else:
        lines += ["", "to replay it, upload the fixed file to the quarantined key, then:", f"  {replay}"]
    return "\n".join(lines)


def _problem_lines(problems: list[dict[str, Any]]) -> list[str]:
    if not problems:
        return []
    headers = ["position", "field", "expected", "got"]
    rows = [[p.get("position"), p.get("field"), p.get("expected"), p.get("value")] for p in problems]
    table = format_table(headers, rows, encoding=getattr(sys.stdout, "encoding", None))
    return ["", f"problems ({len(problems)}):", *(f"  {line}" for line in table.splitlines())]


def replay_command(key: str, args: argparse.Namespace) -> str:
    options = [
        ("--outputs", getattr(args, "outputs", None)),
        ("--stack-name", getattr(args, "stack_name", None)),
        ("--profile", getattr(args, "profile", None)),
        ("--region", getattr(args, "region", None)),
    ]
    words = ["orders-etl", "quarantine", "replay", key]
    for flag, value in options:
        if value is not None:
            words += [flag, str(value)]
    return shlex.join(words)


def _replay_command(stack: StackContext, area: QuarantineArea, args: argparse.Namespace) -> int:
    sfn, machine = stack.client("stepfunctions"), stack.outputs["StateMachineArn"]
    earlier = {e["executionArn"] for e in newest_executions(sfn, machine)}
    replay = move_back_to_raw(stack.client("s3"), area, area.quarantined_key(area.path_of(args.key)))
    removed = " and removed its report" if replay.report_removed else ""
    print(f"moved {area.url(replay.quarantined_key)} back to {replay.raw_key}{removed}")
    for note in replay.notes:
        print(f"note: {note}")
    if args.no_wait:
        print("not waiting: S3 starts the pipeline's execution for it")
        return 0
    print(f"waiting for its execution (at most {args.timeout:g} s)...", flush=True)
    poll_seconds = 0.1 if stack.is_embedded else 1.0
    execution = wait_for_replay(sfn, machine, replay, earlier, args.timeout, poll_seconds)
    return _print_outcome(stack, area, replay, execution)


def _print_outcome(stack: StackContext, area: QuarantineArea, replay: Replay, execution: dict[str, Any]) -> int:
    name, status = execution["name"], execution["status"]
    if status == "SUCCEEDED":
        print(f"SUCCEEDED: execution {name}: {_rows_written(execution)}")
        return 0
    message = error_message(execution.get("cause", "")).split("\n", 1)[0]
    print(f"{status}: execution {name}: {execution.get('error', '')}: {message}")
    if execution.get("error") in (*DATA_ERRORS, TIMED_OUT) and head_object_or_none(
        stack.client("s3"), area.bucket, report_key(replay.quarantined_key)
    ):
        print(f"quarantined again; the new report is {area.url(report_key(replay.quarantined_key))}")
    else:
        print(f"the file stays at {replay.raw_key}; once the cause is fixed, redrive {execution['executionArn']}")
    return 1


def _rows_written(execution: dict[str, Any]) -> str:
    output = json.loads(execution.get("output") or "{}")
    flatten = output.get("flatten") or output.get("validation") or {}
    return f"{flatten.get('orders', '?')} orders, {flatten.get('rows', '?')} rows in the table"

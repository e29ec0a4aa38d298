"""`orders-etl executions list|show|redrive`: find, inspect and redrive the pipeline's executions."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from orders_etl.quarantine import error_message
from orders_etl_cli.arguments import COUNT, POSITIVE
from orders_etl_cli.execution_redrive import fail_states, redrive_executions
from orders_etl_cli.execution_search import describe_row, find_executions, parse_since
from orders_etl_cli.executions import history, timeline, wait_for
from orders_etl_cli.failures import UsageError
from orders_etl_cli.progress import ProgressDisplay
from orders_etl_cli.stack import StackContext, open_stack
from orders_etl_cli.text_table import Column, print_rows

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
SUMMARY_CHARS = 120


def add_executions_parser(commands: Any, add_stack_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("executions", help="find, inspect and redrive the pipeline's executions")
    actions = parser.add_subparsers(dest="executions_command", required=True)

    listing = actions.add_parser("list", help="executions, newest first: source key, status, failed state, error")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--since", help="e.g. 2h, 30m, 7d, or 2025-11-01")
    listing.add_argument("--key", help="only executions for raw keys starting with KEY")
    listing.add_argument("--limit", type=COUNT, default=50, metavar="N", help="at most N rows (default: 50)")
    listing.add_argument(
        "--json", action="store_true", help="the rows as a JSON list (the columns' keys, plus arn, cause, stopped)"
    )

    show = actions.add_parser("show", help="one execution, state by state")
    show.add_argument("execution", help="execution name or ARN")

    redrive = actions.add_parser("redrive", help="redrive failed executions (RedriveExecution)")
    redrive.add_argument("executions", nargs="*", metavar="NAME_OR_ARN")
    redrive.add_argument("--all-failed", action="store_true", help="every FAILED execution (with --since)")
    redrive.add_argument("--since", help="with --all-failed: e.g. 2h, 7d, or 2025-11-01")
    redrive.add_argument("--dry-run", action="store_true", help="say what would be redriven, redrive nothing")
    redrive.add_argument(
        "--per-second", type=POSITIVE, default=5.0, metavar="N", help="RedriveExecution calls per second (default: 5)"
    )
    redrive.add_argument("--wait", action="store_true", help="wait for the redriven executions and show outcomes")
    for sub in (listing, show, redrive):
        add_stack_arguments(sub)


def run_executions(args: argparse.Namespace) -> int:
    if args.executions_command == "redrive" and args.all_failed == bool(args.executions):
        raise UsageError("name the executions to redrive, or use --all-failed")
    stack = open_stack(args.outputs, args.stack_name, args.profile, args.region)
    if args.executions_command == "list":
        return _list(stack, args)
    if args.executions_command == "show":
        return _show(stack, args.execution)
    return _redrive(stack, args)


def _list(stack: StackContext, args: argparse.Namespace) -> int:
    rows = find_executions(
        stack.client("stepfunctions"),
        stack.outputs["StateMachineArn"],
        status=args.status,
        since=parse_since(args.since) if args.since else None,
        key_prefix=args.key,
        limit=args.limit,
    )
    footer = f"({len(rows)} executions)"
    print_rows(LIST_COLUMNS, [row.as_json() for row in rows], as_json=args.json, footer=footer)
    return 0


def _show(stack: StackContext, name_or_arn: str) -> int:
    sfn = stack.client("stepfunctions")
    arn = execution_arn(stack.outputs["StateMachineArn"], name_or_arn)
    row = describe_row(sfn, {"executionArn": arn})
    print(f"execution  {row.name}\nsource key {row.source_key}\nstatus     {row.status}")
    print(f"started    {_time(row.started)} UTC   seconds {_seconds(row.seconds)}   redrives {row.redrive_count}")
    if row.error:
        print(f"error      {row.error} in {row.failed_state!r}\ncause      {error_message(row.cause or '')}")
    if not stack.is_embedded:
        print(f"console    {console_url(arn)}")
    print()
    for run in timeline(history(sfn, arn)):
        retries = f"  retries {run.attempts - 1}" if run.attempts > 1 else ""
        print(f"{_time(run.entered)}  {_seconds(run.seconds):>7} s  {run.name}{retries}")
        print(f"    in     {_cut(_fields(run.input))}")
        if run.error:
            print(f"    error  {run.error}: {_cut(error_message(run.cause or ''))}")
        if run.output is not None:
            print(f"    added  {_cut(_added(run.input, run.output))}")
    return 0


def _redrive(stack: StackContext, args: argparse.Namespace) -> int:
    sfn = stack.client("stepfunctions")
    machine_arn = stack.outputs["StateMachineArn"]
    if args.all_failed:
        since = parse_since(args.since) if args.since else None
        rows = find_executions(sfn, machine_arn, status="FAILED", since=since)
    else:
        rows = [describe_row(sfn, {"executionArn": execution_arn(machine_arn, item)}) for item in args.executions]
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=machine_arn)["definition"])
    with ProgressDisplay("looked at" if args.dry_run else "redriving") as display:
        summary = redrive_executions(
            sfn,
            rows,
            fail_states=fail_states(definition),
            dry_run=args.dry_run,
            per_second=args.per_second,
            progress=lambda done, total: display.update(done, total, log_line=_tenth(done, total)),
        )
    verb = "would redrive" if args.dry_run else "redriven"
    print(
        f"{verb}: {len(summary.redriven)}  not redrivable: {len(summary.not_redrivable)}  errors: {len(summary.errors)}"
    )
    for name, reason in summary.not_redrivable.items():
        print(f"  not redrivable  {name}: {reason}")
    for name, error in summary.errors.items():
        print(f"  error           {name}: {error}")
    if args.wait and summary.redriven and not args.dry_run:
        arns = [execution_arn(machine_arn, name) for name in summary.redriven]
        for ended in wait_for(sfn, arns, timeout=3600):
            print(f"  {ended['status']:<9} {ended['name']} {ended.get('error') or ''}".rstrip())
    return 1 if summary.errors else 0


def _tenth(done: int, total: int) -> str | None:
    """`done/total` at each tenth and at the end: a log gets ten lines, not one per execution."""
    return f"{done}/{total}" if done == total or done % max(total // 10, 1) == 0 else None


def execution_arn(state_machine_arn: str, name_or_arn: str) -> str:
    """An execution's ARN from its name: arn:…:execution:<state machine name>:<execution name>."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name_or_arn}"


def console_url(arn: str) -> str:
    region = arn.split(":")[3]
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"


def _fields(state_input: str | None) -> str:
    """The payload a state received, as its top-level field names (the values are in `added` lines above)."""
    try:
        document = json.loads(state_input or "{}")
    except ValueError:
        return state_input or ""
    return "fields " + ", ".join(document) if isinstance(document, dict) else json.dumps(document)


def _added(state_input: str | None, state_output: str | None) -> str:
    """What a state added to the payload (its result): the top-level fields that are new or changed."""
    try:
        before, after = json.loads(state_input or "{}"), json.loads(state_output or "{}")
    except ValueError:
        return state_output or ""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return json.dumps(after, separators=(",", ":"))
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    return json.dumps(changed, separators=(",", ":")) if changed else "(nothing)"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.1f}"


def _iso_time(moment: str | None) -> str:
    return "" if moment is None else _time(datetime.fromisoformat(moment))


# The table of `executions list`; its --json rows are ExecutionRow.as_json(), whose keys these columns show.
LIST_COLUMNS = [
    Column("name", "name"),
    Column("source key", "source_key"),
    Column("status", "status"),
    Column("failed state", "failed_state"),
    Column("error", "error"),
    Column("started", "started", _iso_time),
    Column("seconds", "seconds", _seconds),
    Column("redrives", "redrive_count"),
]

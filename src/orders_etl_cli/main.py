"""Entry point of `orders-etl`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from embedded_aws import DEFAULT_LAMBDA_CONCURRENCY
from orders_etl_cli.arguments import COUNT, NAME_VALUE, NOT_NEGATIVE, PORT, POSITIVE
from orders_etl_cli.backfill_command import add_backfill_parser, run_backfill
from orders_etl_cli.console_command import add_console_parser, run_console
from orders_etl_cli.contract_command import (
    add_contract_argument,
    add_contract_parser,
    load_contract_or_explain,
    run_contract,
)
from orders_etl_cli.execution_commands import add_executions_parser, run_executions
from orders_etl_cli.failures import run_reporting_failures
from orders_etl_cli.quarantine_commands import add_quarantine_parser, run_quarantine
from orders_etl_cli.stack import DEFAULT_OUTPUTS, DEFAULT_STACK_NAME, ENDPOINT_VARIABLE, TARGET_RULE, open_stack
from orders_etl_cli.text_table import Column, print_rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orders-etl", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure, not one line")
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser("local", help="the embedded AWS").add_subparsers(dest="local_command", required=True)
    start = local.add_parser("start", help="start a local AWS endpoint with the stack deployed from template.yaml")
    start.add_argument("--port", type=PORT, default=4566, help="0 picks a free port (default: 4566)")
    start.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS, help="where to write the stack outputs")
    start.add_argument(
        "--time-scale",
        type=POSITIVE,
        default=0.02,
        help="Wait, Retry and injected delays (--fail STEP=sleep=SECONDS) run at this fraction of their length",
    )
    start.add_argument(
        "--lambda-concurrency",
        type=COUNT,
        default=DEFAULT_LAMBDA_CONCURRENCY,
        help="function calls that run at the same time, all functions together (default %(default)s); more wait",
    )
    start.add_argument(
        "--crawl-base-seconds",
        type=NOT_NEGATIVE,
        default=60.0,
        help="AWS seconds of a crawl of nothing (at --time-scale)",
    )
    start.add_argument(
        "--crawl-seconds-per-object",
        type=NOT_NEGATIVE,
        default=0.005,
        help="AWS seconds a crawl adds per object it lists",
    )
    start.add_argument(
        "--parameter", action="append", type=NAME_VALUE, default=[], metavar="NAME=VALUE", help="template parameter"
    )
    start.add_argument(
        "--no-iam",
        action="store_true",
        help="do not enforce IAM: every signed request is allowed (a quick experiment, never a test of the roles)",
    )
    start.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="FUNCTION_OR_STATE=ERROR[:COUNT]",
        help="make that step raise ERROR for COUNT calls (or until `local fail --clear`); ERROR may be "
        "sleep=SECONDS: each call first spends that long, so past the function's Timeout it fails with "
        "Sandbox.Timedout as on AWS. The step is a state of the state machines or (part of) the name of "
        "exactly one deployed function",
    )
    fail = local.add_parser(
        "fail",
        help="make a step of the running embedded AWS fail (or slow: STEP=sleep=SECONDS), list or clear faults",
    )
    fail.add_argument(
        "faults",
        nargs="*",
        metavar="FUNCTION_OR_STATE=ERROR[:COUNT]",
        help="the step is a state of the state machines or (part of) the name of exactly one deployed function; "
        "ERROR is an error name the step raises, or sleep=SECONDS (function time, at --time-scale) the step "
        "spends before its work: past the function's Timeout the call fails with Sandbox.Timedout",
    )
    fail.add_argument("--clear", action="store_true", help="remove every fault")
    fail.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS, help="outputs of `local start`")

    query = commands.add_parser("query", help="run SQL over the orders table in Athena (the embedded one locally)")
    query.add_argument("sql")
    query.add_argument("--json", action="store_true", help="the rows as a JSON list of objects keyed by column")
    _add_stack_arguments(query)

    add_executions_parser(commands, _add_stack_arguments)
    add_quarantine_parser(commands, _add_stack_arguments)
    add_backfill_parser(commands, _add_stack_arguments)
    add_contract_parser(commands, _add_stack_arguments)
    add_console_parser(commands, _add_stack_arguments)

    commands.add_parser("demo", help="run the pipeline on the embedded AWS with the files in events/orders/")

    flatten = commands.add_parser("flatten", help="validate + flatten a local file exactly as the Lambdas do")
    flatten.add_argument("input", type=Path, help="a JSON array or JSON Lines file, optionally gzip")
    flatten.add_argument("output_dir", type=Path, help="Parquet goes to OUTPUT_DIR/dt=YYYY-MM-DD/")
    add_contract_argument(flatten)
    flatten.add_argument(
        "--max-bytes", type=COUNT, default=512 * 1024 * 1024, metavar="N", help="largest file accepted, in bytes"
    )
    return parser


def _add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_argument_group("target", f"The command acts on {TARGET_RULE}; it says which on stderr.")
    targets.add_argument(
        "--outputs",
        type=Path,
        metavar="FILE",
        help=f"stack outputs of `local start` (default: {DEFAULT_OUTPUTS} if present)",
    )
    targets.add_argument(
        "--stack-name",
        metavar="NAME",
        help=f"CloudFormation stack (default: {DEFAULT_STACK_NAME}); at {ENDPOINT_VARIABLE} when set, else on AWS",
    )
    targets.add_argument("--profile", metavar="NAME", help="AWS profile; means AWS")
    targets.add_argument("--region", metavar="NAME", help="AWS region (default: the profile's or AWS_REGION)")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # a usage mistake (argparse printed it) or --help: its exit code, as a return
        return int(stop.code or 0)
    return run_reporting_failures(lambda: _run(args), debug=args.debug)


def _run(args: argparse.Namespace) -> int:
    if args.command == "local" and args.local_command == "fail":
        return _local_fail(args)
    if args.command == "local":
        from orders_etl_cli.local import start_local

        overrides = dict(args.parameter)
        start_local(
            args.port,
            args.outputs,
            args.time_scale,
            args.lambda_concurrency,
            (args.crawl_base_seconds, args.crawl_seconds_per_object),
            overrides,
            args.fail,
            not args.no_iam,
        )
        return 0
    if args.command == "query":
        return _query(args)
    if args.command == "executions":
        return run_executions(args)
    if args.command == "quarantine":
        return run_quarantine(args)
    if args.command == "backfill":
        return run_backfill(args)
    if args.command == "contract":
        return run_contract(args)
    if args.command == "console":
        return run_console(args)
    if args.command == "flatten":
        from orders_etl_cli.flatten_command import flatten_local

        return flatten_local(args.input, args.output_dir, args.max_bytes, load_contract_or_explain(args.contract))
    if args.command == "demo":
        from orders_etl_cli.demo import run_demo

        return run_demo()
    return 2


def _local_fail(args: argparse.Namespace) -> int:
    from embedded_aws.faults import read_fault_file
    from orders_etl_cli.local_faults import arm_deployed_faults, clear_faults, describe_faults, fault_file, parse_faults

    faults = parse_faults(args.faults)  # a fault written wrong is refused before anything is touched
    stack = open_stack(args.outputs, None, embedded_only=True)
    control_file = fault_file(args.outputs)
    if args.clear:
        clear_faults(control_file)
    if faults:
        arm_deployed_faults(control_file, faults, stack.client("lambda"), stack.client("stepfunctions"), stack.outputs)
    print(describe_faults(read_fault_file(control_file)))
    return 0


def _query(args: argparse.Namespace) -> int:
    from orders_etl_cli.query import run_query

    stack = open_stack(args.outputs, args.stack_name, args.profile, args.region)
    result = run_query(
        args.sql,
        athena=stack.client("athena"),
        database=stack.outputs["GlueDatabaseName"],
        work_group=stack.outputs["AthenaWorkGroupName"],
    )
    keys = _unique(result.columns)
    values = result.json_values() if args.json else result.texts  # a table shows Athena's text
    rows = [dict(zip(keys, row, strict=True)) for row in values]
    columns = [Column(name, key) for name, key in zip(result.columns, keys, strict=True)]
    print_rows(columns, rows, as_json=args.json, footer=f"({len(rows)} rows)")
    return 0


def _unique(names: list[str]) -> list[str]:
    """Column names as JSON keys: a name SQL repeats (`SELECT 1 AS n, 2 AS n`) gets `_2`, `_3`... after it."""
    keys: list[str] = []
    for name in names:
        key, number = name, 1
        while key in keys:
            number += 1
            key = f"{name}_{number}"
        keys.append(key)
    return keys


if __name__ == "__main__":
    sys.exit(main())

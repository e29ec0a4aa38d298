"""Entry point of `orders-etl`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orders_etl_cli.backfill_command import add_backfill_parser, run_backfill
from orders_etl_cli.execution_commands import add_executions_parser, run_executions
from orders_etl_cli.failures import run_reporting_failures
from orders_etl_cli.quarantine_commands import add_quarantine_parser, run_quarantine
from orders_etl_cli.stack import DEFAULT_OUTPUTS, load_stack
from orders_etl_cli.text_table import format_table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orders-etl", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure, not one line")
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser("local", help="the embedded AWS").add_subparsers(dest="local_command", required=True)
    start = local.add_parser("start", help="start a local AWS endpoint with the stack deployed from template.yaml")
    start.add_argument("--port", type=int, default=4566, help="0 picks a free port (default: 4566)")
    start.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS, help="where to write the stack outputs")
    start.add_argument(
        "--time-scale",
        type=float,
        default=0.02,
        help="Wait, Retry and injected delays (--fail STEP=sleep=SECONDS) run at this fraction of their length",
    )
    start.add_argument(
        "--crawl-base-seconds", type=float, default=60.0, help="AWS seconds of a crawl of nothing (at --time-scale)"
    )
    start.add_argument(
        "--crawl-seconds-per-object", type=float, default=0.005, help="AWS seconds a crawl adds per object it lists"
    )
    start.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE", help="template parameter")
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
        "Sandbox.Timedout as on AWS",
    )
    fail = local.add_parser(
        "fail",
        help="make a step of the running embedded AWS fail (or slow: STEP=sleep=SECONDS), list or clear faults",
    )
    fail.add_argument(
        "faults",
        nargs="*",
        metavar="FUNCTION_OR_STATE=ERROR[:COUNT]",
        help="ERROR is an error name the step raises, or sleep=SECONDS (function time, at --time-scale) the step "
        "spends before its work: past the function's Timeout the call fails with Sandbox.Timedout",
    )
    fail.add_argument("--clear", action="store_true", help="remove every fault")
    fail.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS, help="outputs of `local start`")

    query = commands.add_parser("query", help="run SQL over the orders table (Athena on AWS, DuckDB locally)")
    query.add_argument("sql")
    _add_stack_arguments(query)

    add_executions_parser(commands, _add_stack_arguments)
    add_quarantine_parser(commands, _add_stack_arguments)
    add_backfill_parser(commands, _add_stack_arguments)

    commands.add_parser("demo", help="run the pipeline on the embedded AWS with the files in events/orders/")

    flatten = commands.add_parser("flatten", help="validate + flatten a local file exactly as the Lambdas do")
    flatten.add_argument("input", type=Path, help="a JSON array or JSON Lines file, optionally gzip")
    flatten.add_argument("output_dir", type=Path, help="Parquet goes to OUTPUT_DIR/dt=YYYY-MM-DD/")
    flatten.add_argument("--max-bytes", type=int, default=512 * 1024 * 1024, help="largest file accepted")
    return parser


def _add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outputs", type=Path, help=f"outputs of `local start` (default: {DEFAULT_OUTPUTS} if present)"
    )
    parser.add_argument("--stack-name", help="CloudFormation stack on AWS (default: orders-etl)")
    parser.add_argument("--profile", help="AWS profile")
    parser.add_argument("--region", help="AWS region")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_reporting_failures(lambda: _run(args), debug=args.debug)


def _run(args: argparse.Namespace) -> int:
    if args.command == "local" and args.local_command == "fail":
        return _local_fail(args)
    if args.command == "local":
        from orders_etl_cli.local import start_local

        overrides = dict(item.split("=", 1) for item in args.parameter)
        start_local(
            args.port,
            args.outputs,
            args.time_scale,
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
    if args.command == "flatten":
        from orders_etl_cli.flatten_command import flatten_local

        return flatten_local(args.input, args.output_dir, args.max_bytes)
    if args.command == "demo":
        from orders_etl_cli.demo import run_demo

        return run_demo()
    return 2


def _local_fail(args: argparse.Namespace) -> int:
    from embedded_aws.faults import read_fault_file
    from orders_etl_cli.local_faults import (
        add_faults,
        clear_faults,
        describe_faults,
        fault_file,
        state_machine_definition,
    )

    control_file = fault_file(args.outputs)
    if args.clear:
        clear_faults(control_file)
    if args.faults:
        stack = load_stack(args.outputs, None)
        definition = state_machine_definition(stack.client("stepfunctions"), stack.outputs["StateMachineArn"])
        add_faults(control_file, args.faults, definition)
    print(describe_faults(read_fault_file(control_file)))
    return 0


def _query(args: argparse.Namespace) -> int:
    from orders_etl_cli.query import query_athena, query_catalog_with_duckdb

    stack = load_stack(args.outputs, args.stack_name, args.profile, args.region)
    database = stack.outputs["GlueDatabaseName"]
    if stack.is_embedded:
        result = query_catalog_with_duckdb(
            args.sql, glue=stack.client("glue"), s3=stack.client("s3"), database=database
        )
    else:
        work_group = stack.outputs["AthenaWorkGroupName"]
        result = query_athena(args.sql, athena=stack.client("athena"), database=database, work_group=work_group)
    print(format_table(result.columns, result.rows))
    print(f"({len(result.rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

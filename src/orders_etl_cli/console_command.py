"""`orders-etl console`: the web console on 127.0.0.1, against the same target as every other command."""

from __future__ import annotations

import argparse
import errno
from collections.abc import Callable
from typing import Any

from orders_etl_cli.arguments import PORT
from orders_etl_cli.failures import CommandError
from orders_etl_cli.stack import open_stack

DEFAULT_PORT = 8080


def add_console_parser(commands: Any, add_stack_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "console", help="a web page of executions (graph, history, redrive) and quarantined files, on 127.0.0.1"
    )
    parser.add_argument("--port", type=PORT, default=DEFAULT_PORT, help="0 picks a free port (default: %(default)s)")
    parser.add_argument(
        "--allow-actions",
        action="store_true",
        help="on AWS, allow redrive and replay from the page (always allowed on the embedded AWS)",
    )
    add_stack_arguments(parser)


def run_console(args: argparse.Namespace) -> int:
    from orders_etl_console.app import create_app
    from orders_etl_console.server import serve_until_interrupted

    stack = open_stack(args.outputs, args.stack_name, args.profile, args.region)
    try:
        serve_until_interrupted(create_app(stack, allow_actions=args.allow_actions), args.port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise CommandError(f"port {args.port} is in use: pass --port N (0 picks a free one)") from error
    return 0

"""`make demo`: start the embedded AWS, drop the sample files of events/orders/ under raw/, and show what happens."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from orders_etl_cli.console_command import DEFAULT_PORT
from orders_etl_cli.executions import TERMINAL, history, list_executions, source_key, timeline
from orders_etl_cli.query import run_query
from orders_etl_cli.stack import StackContext, load_stack
from orders_etl_cli.text_table import format_table

SAMPLES = Path("events/orders")
WORKDIR = Path(".local")


def run_demo() -> int:
    started = time.monotonic()
    with _embedded_endpoint() as stack:
        bucket = stack.outputs["DataBucketName"]
        samples = sorted(p for p in SAMPLES.iterdir() if p.is_file())
        _section(f"1. Uploading {len(samples)} sample files to s3://{bucket}/raw/demo/")
        for path in samples:
            stack.client("s3").put_object(Bucket=bucket, Key=f"raw/demo/{path.name}", Body=path.read_bytes())
            print(f"  put raw/demo/{path.name} ({path.stat().st_size} bytes)")
        _section("2. Executions, state by state (EventBridge started one per file)")
        executions = _watch(stack, len(samples))
        _section("3. Parquet written")
        _show_parquet(stack, executions)
        _section("4. Quarantine")
        _show_quarantine(stack)
        _section("5. Glue Data Catalog")
        _show_table(stack)
        _section("6. SQL over the table through the Athena API (the stack's named query, in its workgroup)")
        _show_query(stack)
        failed_unexpectedly = [e for e in executions if e["status"] not in ("SUCCEEDED", "FAILED")]
        print(f"\nDemo finished in {time.monotonic() - started:.1f} s.")
        _section("7. The console: these executions as graphs with their history, the quarantine, redrive and replay")
        _serve_console(stack, interactive=sys.stdin.isatty() and sys.stdout.isatty())
    return 1 if failed_unexpectedly else 0


@contextmanager
def _embedded_endpoint() -> Iterator[StackContext]:
    WORKDIR.mkdir(exist_ok=True)
    outputs = WORKDIR / "demo-outputs.json"
    outputs.unlink(missing_ok=True)
    log = (WORKDIR / "embedded-aws.log").open("w")
    command = [sys.executable, "-m", "orders_etl_cli.main", "local", "start", "--port", "0", "--outputs", str(outputs)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    print(f"Starting the embedded AWS (log: {log.name}) ...")
    try:
        deadline = time.monotonic() + 120
        while not outputs.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the embedded AWS did not start; see {log.name}")
            time.sleep(0.1)
        stack = load_stack(outputs, None, embedded_only=True)
        print(f"Stack deployed from template.yaml at {stack.endpoint_url}")
        yield stack
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _serve_console(stack: StackContext, *, interactive: bool) -> None:
    """In a terminal, serve the console on the demo's stack until Ctrl-C; elsewhere (CI), check that it answers."""
    from orders_etl_console.app import create_app
    from orders_etl_console.server import running_console

    app = create_app(stack, allow_actions=True)
    with contextlib.ExitStack() as serving:
        try:
            url = serving.enter_context(running_console(app, DEFAULT_PORT))
        except OSError:  # in use: any free port will do
            url = serving.enter_context(running_console(app, 0))
        if not interactive:
            answer = requests.get(f"{url}pipeline/executions", timeout=30)
            print(f"  not a terminal, so it stops with the demo (its list answered HTTP {answer.status_code});")
            print("  for one that stays: `make local`, then `make console` in a second terminal")
            print(f"console: {url}")
            return
        print("  Ctrl-C stops the console and the embedded AWS")
        print(f"console: {url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


def _section(title: str) -> None:
    print(f"\n== {title}")


def _watch(stack: StackContext, expected: int, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Print each state as it is entered and left, until every execution has ended."""
    sfn = stack.client("stepfunctions")
    arn = stack.outputs["StateMachineArn"]
    printed: dict[str, int] = {}
    names: dict[str, str] = {}
    t0 = time.monotonic()
    while True:
        executions = list_executions(sfn, arn)
        for execution in sorted(executions, key=lambda e: e["startDate"]):
            execution_arn = execution["executionArn"]
            if execution_arn not in names:
                key = source_key(sfn, execution_arn) or execution["name"]
                names[execution_arn] = key.rsplit("/", 1)[-1]
            events = history(sfn, execution_arn)
            for event in events[printed.get(execution_arn, 0) :]:
                line = _describe_event(event)
                if line:
                    print(f"  [{time.monotonic() - t0:6.2f}s] {names[execution_arn]:<22} {line}")
            printed[execution_arn] = len(events)
        if len(executions) >= expected and all(e["status"] in TERMINAL for e in executions):
            break
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"executions still running after {timeout}s")
        time.sleep(0.05)
    for execution in executions:
        runs = timeline(history(sfn, execution["executionArn"]))
        print(f"\n  {names[execution['executionArn']]}: {execution['status']}")
        rows = [
            (r.name, f"{r.seconds:.3f}" if r.seconds is not None else "-", r.attempts or "", r.error or "")
            for r in runs
        ]
        print(_indent(format_table(["state", "seconds", "lambda attempts", "error"], rows)))
    return executions


def _describe_event(event: dict[str, Any]) -> str | None:
    kind = event["type"]
    if kind.endswith("StateEntered"):
        return f"> {event['stateEnteredEventDetails']['name']}"
    if kind == "TaskFailed":
        return f"  ! {event['taskFailedEventDetails'].get('error')}"
    if kind in ("ExecutionSucceeded", "ExecutionFailed"):
        return str(kind).removeprefix("Execution").upper()
    return None


def _show_parquet(stack: StackContext, executions: list[dict[str, Any]]) -> None:
    sfn, s3 = stack.client("stepfunctions"), stack.client("s3")
    for execution in executions:
        description = sfn.describe_execution(executionArn=execution["executionArn"])
        output = json.loads(description.get("output") or "{}")
        if "flatten" in output:
            flat = output["flatten"]
            print(
                f"  {output['detail']['object']['key']}: {flat['orders']} orders "
                f"({flat['orders_without_products']} without products), {flat['rows']} rows, "
                f"{flat['parquet_objects']} Parquet objects"
            )
    listing = s3.list_objects_v2(Bucket=stack.outputs["DataBucketName"], Prefix="parquet_files/").get("Contents", [])
    print(_indent(format_table(["key", "bytes"], [(o["Key"], o["Size"]) for o in listing])))


def _show_quarantine(stack: StackContext) -> None:
    s3 = stack.client("s3")
    bucket = stack.outputs["DataBucketName"]
    listing = s3.list_objects_v2(Bucket=bucket, Prefix="quarantine/").get("Contents", [])
    for item in listing:
        print(f"  {item['Key']}")
    for item in listing:
        if item["Key"].endswith(".error.json"):
            print(f"\n  {item['Key']}:")
            report = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            print(_indent(report, "    "))


def _show_table(stack: StackContext) -> None:
    glue = stack.client("glue")
    database = stack.outputs["GlueDatabaseName"]
    for table in glue.get_tables(DatabaseName=database)["TableList"]:
        print(f"  table {database}.{table['Name']} at {table['StorageDescriptor']['Location']}")
        columns = [(c["Name"], c["Type"], "") for c in table["StorageDescriptor"]["Columns"]]
        columns += [(c["Name"], c["Type"], "partition key") for c in table.get("PartitionKeys", [])]
        print(_indent(format_table(["column", "type", ""], columns)))
        partitions = glue.get_partitions(DatabaseName=database, TableName=table["Name"])["Partitions"]
        values = sorted("/".join(p["Values"]) for p in partitions)
        print(f"  partitions: {', '.join(f'dt={v}' for v in values)}")


def _show_query(stack: StackContext) -> None:
    athena = stack.client("athena")
    work_group = stack.outputs["AthenaWorkGroupName"]
    for query_id in athena.list_named_queries(WorkGroup=work_group)["NamedQueryIds"]:
        named = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
        print(f"  -- {named['Name']}: {named['Description']}\n  {named['QueryString']}\n")
        result = run_query(named["QueryString"], athena=athena, database=named["Database"], work_group=work_group)
        print(_indent(format_table(result.columns, result.texts)))


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())

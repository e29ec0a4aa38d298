"""`orders-etl local start`: the embedded AWS as a long-running local endpoint."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from pathlib import Path

from embedded_aws.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, admin_client
from embedded_aws.glue_crawls import CrawlTimeModel
from embedded_aws.server import EmbeddedAws, PortInUse
from orders_etl_cli.failures import CommandError
from orders_etl_cli.local_faults import arm_deployed_faults, clear_faults, describe_faults, fault_file, parse_faults


def start_local(
    port: int,
    outputs_file: Path,
    time_scale: float,
    lambda_concurrency: int,
    crawl_time: tuple[float, float],
    overrides: dict[str, str],
    faults: list[str] | None = None,
    enforce_iam: bool = True,
) -> None:
    """`crawl_time`: a crawl's AWS seconds for nothing, and per object it lists (glue_crawls.CrawlTimeModel)."""
    parsed_faults = parse_faults(faults or [])  # refused before a minute is spent deploying
    aws = EmbeddedAws(
        port=port,
        time_scale=time_scale,
        lambda_concurrency=lambda_concurrency,
        crawl_time=CrawlTimeModel(*crawl_time),
        enforce_iam=enforce_iam,
    )
    aws.faults.control_file = fault_file(outputs_file)
    try:
        aws.start()
    except PortInUse as error:  # another endpoint runs there: leave its faults and outputs alone
        raise CommandError(
            f"{error.strerror} (another `orders-etl local start`?): stop it, or pass --port 0 for a free port"
        ) from None
    clear_faults(aws.faults.control_file)  # faults of an earlier run do not carry over
    try:
        outputs = aws.deploy(parameter_overrides=overrides)
        if parsed_faults:
            sfn = admin_client("stepfunctions", aws.endpoint_url, aws.region)
            functions = admin_client("lambda", aws.endpoint_url, aws.region)
            armed = arm_deployed_faults(aws.faults.control_file, parsed_faults, functions, sfn, outputs)
            print(describe_faults(armed), flush=True)
        outputs["EndpointUrl"] = aws.endpoint_url
        outputs_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = outputs_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(outputs, indent=2) + "\n")
        temporary.replace(outputs_file)  # readers never see a half-written file
        print(f"embedded AWS listening on {aws.endpoint_url}; stack outputs in {outputs_file}", flush=True)
        print(f"  export AWS_ENDPOINT_URL={aws.endpoint_url} AWS_ACCESS_KEY_ID={ADMIN_ACCESS_KEY_ID}", end="")
        print(f" AWS_SECRET_ACCESS_KEY={ADMIN_SECRET_ACCESS_KEY} AWS_DEFAULT_REGION={aws.region}", flush=True)
        iam = "enforced (functions, state machines, rule and crawler act as their template roles)"
        print(f"  IAM: {iam if enforce_iam else 'NOT enforced (--no-iam): every signed request is allowed'}")
        print("Press Ctrl+C to stop.", flush=True)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    finally:
        aws.stop()
        outputs_file.unlink(missing_ok=True)

"""Runs the state machine tests on altered copies of the definition: each alteration must make a test fail.

`make statemachine-mutants`. Proof that the tests guard the error handling: a Retry, Catch or Choice rule deleted
or weakened is noticed. Exits 1 if any alteration goes unnoticed.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = ROOT / "statemachine" / "order_pipeline.asl.json"
TASKS = ["Validate order file", "Flatten to Parquet", "Start crawl", "Check crawl", "Quarantine the file"]
Mutation = Callable[[dict[str, Any]], Any]


def mutations() -> dict[str, Mutation]:
    found: dict[str, Mutation] = {}
    for task in TASKS:
        found[f"delete the Retry of {task}"] = lambda s, t=task: s[t].pop("Retry")
    for task in TASKS[:2]:
        found[f"delete the Catch of {task}"] = lambda s, t=task: s[t].pop("Catch")
    retry = lambda s, t: s[t]["Retry"][0]  # noqa: E731
    found["stop retrying throttling in validate"] = lambda s: retry(s, TASKS[0])["ErrorEquals"].remove(
        "Lambda.TooManyRequestsException"
    )
    catch = lambda s, t, error: next(c for c in s[t]["Catch"] if error in c["ErrorEquals"])  # noqa: E731
    found["stop catching FileTooLarge in validate"] = lambda s: catch(s, TASKS[0], "FileTooLarge")[
        "ErrorEquals"
    ].remove("FileTooLarge")
    found["stop catching NotAnOrderFile in validate"] = lambda s: catch(s, TASKS[0], "NotAnOrderFile")[
        "ErrorEquals"
    ].remove("NotAnOrderFile")
    found["a deleted version fails validate"] = lambda s: s[TASKS[0]]["Catch"].remove(
        catch(s, TASKS[0], "NothingToProcess")
    )
    found["flatten reads the event's version, not the one validate read"] = lambda s: s[TASKS[1]]["Parameters"][
        "Payload"
    ].update({"version_id.$": "$.detail.object.version-id"})
    found["an event without a version fails"] = lambda s: (  # the Pass it skips would be unreachable: refused
        s["Event names its version?"].update(Default="Validate order file"),
        s.pop("Read the latest version"),
    )
    found["the check is not told of redrives"] = lambda s: s["Check crawl"]["Parameters"]["Payload"].pop(
        "redrive_count.$"
    )
    found["retry data errors in validate"] = lambda s: retry(s, TASKS[0])["ErrorEquals"].append("InvalidOrderFile")
    found["one attempt fewer in flatten"] = lambda s: retry(s, TASKS[1]).update(MaxAttempts=5)
    found["slower backoff growth in validate"] = lambda s: retry(s, TASKS[0]).update(BackoffRate=1.5)
    found["no backoff cap in flatten"] = lambda s: retry(s, TASKS[1]).pop("MaxDelaySeconds")
    timeout_retry = lambda s, t: next(r for r in s[t]["Retry"] if r["ErrorEquals"] == ["Sandbox.Timedout"])  # noqa: E731
    found["stop retrying timeouts in validate"] = lambda s: s[TASKS[0]]["Retry"].remove(timeout_retry(s, TASKS[0]))
    found["retry timeouts more in flatten"] = lambda s: timeout_retry(s, TASKS[1]).update(MaxAttempts=2)
    found["stop catching timeouts in validate"] = lambda s: s[TASKS[0]].update(
        Catch=[c for c in s[TASKS[0]]["Catch"] if c["ErrorEquals"] != ["Sandbox.Timedout"]]
    )
    found["never crawl again after a stale crawl"] = lambda s: s["Crawl finished?"]["Choices"].pop(1)
    found["the check is not told the poll limit"] = lambda s: s["Check crawl"]["Parameters"]["Payload"].pop(
        "poll_limit.$"
    )
    return found


def main() -> int:
    original = json.loads(DEFINITION.read_text(encoding="utf-8"))
    missed = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, mutate in mutations().items():
            states = copy.deepcopy(original)
            mutate(states["States"])
            altered = Path(scratch) / "order_pipeline.asl.json"
            altered.write_text(json.dumps(states), encoding="utf-8")
            env = {**os.environ, "ORDER_PIPELINE_DEFINITION": str(altered)}
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/state_machine"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            failed = [
                line.split("::")[1].split(" ")[0] for line in result.stdout.splitlines() if line.startswith("FAILED")
            ]
            print(f"{'caught' if failed else 'MISSED'}: {name} ({len(failed)} failing: {', '.join(failed[:2])}…)")
            if not failed:
                missed.append(name)
    print(f"{len(mutations()) - len(missed)}/{len(mutations())} alterations caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

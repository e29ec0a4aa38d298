"""Distributed Map features moto lacks: ItemBatcher, EXPRESS child workflows, and failure tolerance; and
ListMapRuns/DescribeMapRun, which fail (500) while any execution's worker has not started yet.

Both make moto refuse the definition. EXPRESS children run here as the STANDARD ones do (moto runs every child
workflow in process, with no history of its own), so only the parsed copy says STANDARD; but as on AWS an
EXPRESS child lasts at most 5 minutes (of the embedded clock): one still running then is stopped and its items
count as timed out, which the Map Run's failure tolerance counts as failed.

On AWS, ItemBatcher groups the items read by ItemReader (after ItemSelector is applied to each) into batches:
each child workflow gets `{"Items": [...]}` and DescribeMapRun's `itemCounts` count items, not children.
Here the `ItemBatcher` field is moved out of the definition moto parses into a marker in the ItemProcessor's
Comment; the Map run then selects each item, groups them, and runs one child per batch, counting items.
Supported: MaxItemsPerBatch, MaxItemsPerBatchPath (a `$.a.b` path), MaxInputBytesPerBatch. Not supported:
BatchInput (refused, so nothing silently differs from AWS).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.stepfunctions.exceptions import ResourceNotFound
from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
    DistributedIterationComponent,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
    DistributedItemProcessorWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.map_run_record import (
    Counter,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.states import ItemData, MapData
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from embedded_aws import clock, iam_enforcement
from embedded_aws.service_roles import STATES

# The parsed Comment keeps JSON escapes, so the batcher travels base64-encoded.
MARK = " #embedded-item-batcher:"
# Marks an ItemProcessor whose children were EXPRESS (the parsed copy says STANDARD).
EXPRESS_MARK = " #embedded-express-children"
# "Express Workflows can run for up to five minutes" (Step Functions quotas).
EXPRESS_MAX_SECONDS = 300
# AWS's default and maximum batch size in bytes is 256 KiB; items per batch have no default limit.
MAX_BATCH_BYTES = 256 * 1024
_original_parse = AmazonStateLanguageParser.parse
_original_map_run = DistributedIterationComponent._map_run
_original_eval_job = DistributedItemProcessorWorker._eval_job
_job = threading.local()  # the size of the batch the current thread's child workflow runs


class UnsupportedItemBatcher(ValueError):
    pass


@contextmanager
def installed() -> Iterator[None]:
    with (
        mock.patch.multiple(AmazonStateLanguageParser, parse=staticmethod(_parse)),
        mock.patch.multiple(DistributedIterationComponent, _map_run=_map_run),
        mock.patch.multiple(DistributedItemProcessorWorker, _eval_job=_eval_job),
        mock.patch.multiple(
            StepFunctionsParserBackend, list_map_runs=_list_map_runs, describe_map_run=_describe_map_run
        ),
    ):
        yield


def _map_runs_of(execution: Any) -> Any:
    """The execution's map-run records; None while its worker has not started (moto raised AttributeError)."""
    env = getattr(getattr(execution, "exec_worker", None), "env", None)
    return getattr(env, "map_run_record_pool_manager", None)


def _list_map_runs(self: Any, execution_arn: str) -> dict[str, Any]:
    records = _map_runs_of(self.describe_execution(execution_arn=execution_arn))
    return {"mapRuns": [record.list_item() for record in records.get_all()] if records else []}


def _describe_map_run(self: Any, map_run_arn: str) -> dict[str, Any]:
    for execution in self._get_executions():
        records = _map_runs_of(execution)
        record = records.get(map_run_arn) if records else None
        if record is not None:
            described: dict[str, Any] = record.describe()
            return described
    raise ResourceNotFound(map_run_arn)  # a 400, as on AWS (moto's own raise became a 500)


def without_item_batchers(definition: str) -> str:
    """The definition with each ItemBatcher moved into its ItemProcessor's Comment, and EXPRESS children run as
    STANDARD ones (unchanged when it has neither)."""
    try:
        document = json.loads(definition)
    except ValueError:
        return definition
    if not isinstance(document, dict) or not _move_batchers(document.get("States") or {}):
        return definition
    return json.dumps(document)


def _move_batchers(states: dict[str, Any]) -> bool:
    moved = False
    for state in states.values():
        if not isinstance(state, dict):
            continue
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if state.get("Type") == "Map" and "ItemBatcher" in state and isinstance(processor, dict):
            batcher = state.pop("ItemBatcher")
            if "BatchInput" in batcher:
                raise UnsupportedItemBatcher("ItemBatcher.BatchInput is not supported on the embedded AWS")
            processor["Comment"] = str(processor.get("Comment", "")) + MARK + _encode(batcher)
            moved = True
        config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
        if isinstance(processor, dict) and isinstance(config, dict) and config.get("ExecutionType") == "EXPRESS":
            config["ExecutionType"] = "STANDARD"
            processor["Comment"] = str(processor.get("Comment", "")) + EXPRESS_MARK
            moved = True
        for nested in [processor, *state.get("Branches", [])]:
            if isinstance(nested, dict):
                moved = _move_batchers(nested.get("States") or {}) or moved
    return moved


def _parse(definition: str) -> Any:
    return _original_parse(without_item_batchers(definition))


def _encode(batcher: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(batcher).encode()).decode()


def batcher_of(processor: Any) -> dict[str, Any] | None:
    comment = getattr(getattr(processor, "_comment", None), "comment", None) or ""
    if MARK not in comment:
        return None
    encoded = comment.split(MARK, 1)[1].replace(EXPRESS_MARK, "").strip()
    batcher: dict[str, Any] = json.loads(base64.urlsafe_b64decode(encoded))
    return batcher


def runs_express_children(processor: Any) -> bool:
    return EXPRESS_MARK in (getattr(getattr(processor, "_comment", None), "comment", None) or "")


def batches(items: list[Any], max_items: int | None, max_bytes: int) -> list[dict[str, Any]]:
    """Consecutive items grouped as `{"Items": [...]}`, each within `max_items` and `max_bytes` of JSON."""
    grouped: list[dict[str, Any]] = []
    current: list[Any] = []
    size = len('{"Items": []}')
    for item in items:
        item_size = len(json.dumps(item)) + 2
        if current and ((max_items and len(current) >= max_items) or size + item_size > max_bytes):
            grouped.append({"Items": current})
            current, size = [], len('{"Items": []}')
        current.append(item)
        size += item_size
    if current:
        grouped.append({"Items": current})
    return grouped


def _path_value(document: Any, path: str) -> Any:
    value = document
    for part in path.removeprefix("$").strip(".").split("."):
        if part:
            value = value[part]
    return value


def _max_items(batcher: dict[str, Any], map_input: Any) -> int | None:
    if "MaxItemsPerBatchPath" in batcher:
        return int(_path_value(map_input, batcher["MaxItemsPerBatchPath"]))
    value = batcher.get("MaxItemsPerBatch")
    return int(value) if value else None


def _select(env: Any, item_selector: Any, map_input: Any, index: int, item: Any) -> Any:
    """ItemSelector applied to one item, as the engine applies it to an unbatched item."""
    if item_selector is None:
        return item
    frame = env.open_inner_frame()
    try:
        frame.states.context_object.context_object_data["Map"] = MapData(Item=ItemData(Index=index, Value=item))
        frame.states.reset(input_value=map_input)
        frame.stack.append(map_input)
        item_selector.eval(frame)
        return frame.stack.pop()
    finally:
        env.delete_frame(frame)


class _ItemsOfTheBatch(Counter):  # type: ignore[misc]  # moto is untyped here
    """A map-run item counter that counts every item of the batch the calling thread's child runs."""

    def count(self, increment: int = 1) -> None:
        super().count(increment * getattr(_job, "batch_size", 1))

    def offset(self, offset: int) -> None:
        super().offset(offset * getattr(_job, "batch_size", 1))


class _Fixed(Counter):  # type: ignore[misc]  # moto is untyped here
    """The total, known once the items are read; the workers' per-child counting is ignored."""

    def count(self, increment: int = 1) -> None:
        pass


def _map_run(self: Any, env: Any, eval_input: Any) -> None:
    _check_children_may_start(env)
    if runs_express_children(self):
        eval_input.map_run_record.child_time_limit = clock.scaled(EXPRESS_MAX_SECONDS)
    batcher = batcher_of(self)
    if batcher is None:
        _original_map_run(self, env, eval_input)
    else:
        _batched_map_run(self, env, eval_input, batcher)
    _fail_beyond_tolerance(env, eval_input)


def _check_children_may_start(env: Any) -> None:
    """Child workflows are executions of the state machine, started as its role: AWS requires
    states:StartExecution on the state machine itself. Without it the Map Run fails (moto starts them in
    process, unchecked)."""
    state_machine_arn = env.states.context_object.context_object_data["StateMachine"]["Id"]
    try:
        iam_enforcement.authorize_role_call(
            env.aws_execution_details.role_arn, STATES, "states:StartExecution", state_machine_arn
        )
    except iam_enforcement.ServiceCallDenied as denied:
        raise _map_run_failure(env, StatesErrorNameType.StatesRuntime, str(denied)) from denied


def _fail_beyond_tolerance(env: Any, eval_input: Any) -> None:
    """moto parses ToleratedFailureCount/Percentage(Path) but never applies them; AWS fails the Map Run when
    the failed and timed-out items pass either. (moto gives 0 for both when unset: then any failure fails.)"""
    counter = eval_input.map_run_record.item_counter
    failed, total = counter.failed.get() + counter.timed_out.get(), counter.total.get()
    count, percentage = eval_input.tolerated_failure_count, eval_input.tolerated_failure_percentage
    if count == 0 and percentage == 0:
        exceeded = failed > 0
    else:
        exceeded = (count > 0 and failed > count) or (
            percentage > 0 and total > 0 and 100 * failed / total > percentage
        )
    if exceeded:
        raise _map_run_failure(
            env,
            StatesErrorNameType.StatesExceedToleratedFailureThreshold,
            "The specified tolerated failure threshold was exceeded",
        )


def _map_run_failure(env: Any, error: StatesErrorNameType, cause: str) -> FailureEventException:
    details = MapRunFailedEventDetails(error=error.to_name(), cause=cause)
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(mapRunFailedEventDetails=details),
        )
    )


def _batched_map_run(self: Any, env: Any, eval_input: Any, batcher: dict[str, Any]) -> None:
    items = env.stack.pop()
    map_input = env.stack[-1]
    selected = [_select(env, eval_input.item_selector, map_input, i, item) for i, item in enumerate(items)]
    grouped = batches(
        selected, _max_items(batcher, map_input), int(batcher.get("MaxInputBytesPerBatch", MAX_BATCH_BYTES))
    )
    counter = eval_input.map_run_record.item_counter
    for name in ("aborted", "failed", "results_written", "running", "succeeded", "timed_out"):
        setattr(counter, name, _ItemsOfTheBatch())
    counter.total = _Fixed()
    counter.total.offset(len(items))
    counter.pending.offset(len(items))
    eval_input.map_run_record.batched = True
    selector, eval_input.item_selector = eval_input.item_selector, None  # applied above, per item
    env.stack.append(grouped)
    try:
        _original_map_run(self, env, eval_input)
    finally:
        eval_input.item_selector = selector


class _WithinTimeLimit:
    """A child workflow's program that stops at `seconds` (the engine's own timeout needs TimeoutSeconds, which
    an ItemProcessor cannot have); moto's worker counts the EvalTimeoutError as a timed-out item."""

    def __init__(self, program: Any, seconds: float) -> None:
        self._program = program
        self._seconds = seconds

    def eval(self, env: Any) -> None:
        child = threading.Thread(target=self._program.eval, args=(env,), name="express-child", daemon=True)
        child.start()
        child.join(self._seconds)
        if child.is_alive():
            env.set_timed_out()  # the child stops at its next state, as AWS stops a timed-out execution
            raise EvalTimeoutError(f"an EXPRESS child workflow ran past {EXPRESS_MAX_SECONDS} s")


def _eval_job(self: Any, env: Any, job: Any) -> None:
    time_limit = getattr(self._map_run_record, "child_time_limit", None)
    if time_limit is not None and not isinstance(job.job_program, _WithinTimeLimit):
        job.job_program = _WithinTimeLimit(job.job_program, time_limit)
    if not getattr(self._map_run_record, "batched", False):
        _original_eval_job(self, env, job)
        return
    _job.batch_size = len(job.job_input["Items"])
    self._map_run_record.item_counter.pending.offset(-_job.batch_size)
    try:
        _original_eval_job(self, env, job)
    finally:
        _job.batch_size = 1

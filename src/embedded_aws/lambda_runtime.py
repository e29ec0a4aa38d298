"""Runs Lambda functions in this process instead of in docker (moto's default).

Every invoke path in moto (the Invoke API, state machine tasks, event targets) goes through
`LambdaFunction._invoke_lambda(event) -> (payload, errored, logs)`. This replaces it: the function's deployed
zip is unpacked once, and calls run at the same time, as on AWS, up to the concurrency limit (a call past it
waits for a free one). Each call runs in an execution environment of its own: the function's variables and
role credentials in `os.environ` and a default boto3 session for that call alone (call_environment), and a
handler module instance no other running call uses. An environment's module is imported once (the cold start)
and reused by later calls (warm starts); it is imported anew when the role's credentials change, so its
module-level clients sign as that role and no other. boto3 clients point at this endpoint through
AWS_ENDPOINT_URL. A raised exception comes back as a Lambda error document whose `errorType` is the class name,
which is what Retry and Catch in the state machine match.

The function's Timeout holds as on AWS: the handler runs on a worker thread; past the timeout it is stopped (an
exception raised in its thread, waited for until it has unwound) and the call fails with AWS's `Sandbox.Timedout`
document; its execution environment is discarded, as Lambda starts a new runtime after a timeout. A call's time is
its real time plus the full length of the delays it spent in `pause` (which sleeps them at the embedded clock's
scale, as Wait states are): an injected delay of 1,000 s times out a 900 s function after 9 real seconds at scale
0.01, while real work, not compressed, is never cut short by it. The import (Lambda's init phase, limited apart)
is outside the timeout.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
import io
import itertools
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import LambdaFunction, lambda_backends

from embedded_aws import (
    DEFAULT_LAMBDA_CONCURRENCY,
    call_environment,
    clock,
    function_logs,
    iam_enforcement,
    service_roles,
)
from embedded_aws.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY

_concurrency = threading.BoundedSemaphore(DEFAULT_LAMBDA_CONCURRENCY)  # see installed()
_idle_lock = threading.Lock()
_unpacking = threading.Lock()
# (function ARN, code hash, access key of its role session) -> handler instances no call is running: a call
# takes one or imports a new one, and gives it back unless it timed out.
_idle: dict[tuple[str, str, str], list[_HandlerInstance]] = {}
_imports = itertools.count(1)
_code_root = Path(tempfile.mkdtemp(prefix="embedded-lambda-"))
atexit.register(shutil.rmtree, _code_root, ignore_errors=True)  # the functions' unpacked code, once per process
_endpoint_url = ""
logger = logging.getLogger(__name__)

TIMEOUT_ERROR = "Sandbox.Timedout"  # the errorType Lambda reports for an invocation past its Timeout
_POLL_SECONDS = 0.02  # how often the deadline is checked (delays in `pause` move it closer)
# A thread can only be asked to stop: the exception lands when it next runs Python code (a DuckDB query in C++
# first returns). Asked again every second, for at most this long; Lambda kills the whole runtime instead.
_UNWIND_SECONDS = 30.0


class _StdoutAtWriteTime(io.TextIOBase):
    """Loggers created when a handler module is imported keep the sys.stdout of that moment (a test's capture
    that is closed later): after the import they get this one. On a handler's thread it writes to the function's
    log (function_logs: its CloudWatch log group, as on AWS); elsewhere (the import) to whatever sys.stdout is when
    they log. (Swapping sys.stdout during the import instead would divert every other thread's output.)"""

    def write(self, text: str) -> int:
        call = function_logs.writing_call()
        if call is not None:
            call.write(text)
            return len(text)
        return sys.stdout.write(text)

    def flush(self) -> None:
        if function_logs.writing_call() is None:
            sys.stdout.flush()


_STDOUT_AT_WRITE_TIME = _StdoutAtWriteTime()


def _rebind_stdout_handlers(stdout_at_import: Any) -> None:
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and handler.stream is stdout_at_import:
                handler.setStream(_STDOUT_AT_WRITE_TIME)


# Invocation hooks (e.g. fault injection) see the function name and event before the handler runs.
BeforeInvoke = Callable[[str, Any], None]
_before_invoke: list[BeforeInvoke] = []


@dataclass
class CallClock:
    """The time of one handler call as the function sees it: real seconds plus what `pause` compressed."""

    timeout: float  # the function's Timeout, seconds
    started: float = field(default_factory=time.monotonic)
    compressed: float = 0.0  # seconds the paused delays stood for beyond the real seconds they took

    def remaining(self) -> float:
        return self.timeout - (time.monotonic() - self.started + self.compressed)


_call_clocks = threading.local()  # .current: the CallClock of the call running on this thread


def pause(seconds: float) -> None:
    """Spend `seconds` of the running call's time, sleeping them at the embedded clock's scale: the call's
    timeout counts them in full. Short steps, so that a timeout stops the sleeper at once."""
    call: CallClock | None = getattr(_call_clocks, "current", None)
    real = clock.scaled(seconds)
    compression = seconds / real - 1 if real > 0 else 0.0
    before = call.compressed if call else 0.0
    began = time.monotonic()
    while (slept := time.monotonic() - began) < real:
        time.sleep(min(real - slept, 0.01))
        if call is not None:  # an oversleep (GIL, scheduler) is real time: it is not compressed
            call.compressed = before + min(time.monotonic() - began, real) * compression


class _StopHandler(BaseException):
    """Raised in a handler's thread past its timeout; not an Exception, so handler code does not catch it."""


class _TimedOut(Exception):
    pass


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    call_clock: CallClock

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.call_clock.remaining() * 1000))


@dataclass
class _HandlerInstance:
    """A handler module imported for one execution environment."""

    module_name: str
    handler: Callable[[Any, Any], Any]
    library_state: dict[str, dict[Any, Any]]  # call_environment.EnvironmentLocalDict's data, kept between calls


# Function name -> how long each call of its handler took, in seconds (the wait for a free slot excluded).
handler_seconds: dict[str, list[float]] = {}


@contextmanager
def installed(endpoint_url: str, concurrency: int = DEFAULT_LAMBDA_CONCURRENCY) -> Iterator[None]:
    global _endpoint_url, _concurrency
    (_endpoint_url, before), (_concurrency, slots_before) = (
        (endpoint_url, _endpoint_url),
        (threading.BoundedSemaphore(concurrency), _concurrency),
    )
    try:
        with call_environment.installed(), mock.patch.object(LambdaFunction, "_invoke_lambda", _invoke_in_process):
            yield
    finally:
        _endpoint_url, _concurrency = before, slots_before


def add_before_invoke(hook: BeforeInvoke) -> None:
    _before_invoke.append(hook)


def remove_before_invoke(hook: BeforeInvoke) -> None:
    if hook in _before_invoke:
        _before_invoke.remove(hook)


def _invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    payload = json.loads(event) if isinstance(event, str | bytes) and event else (event or {})
    try:
        credentials = _role_credentials(self)
    except service_roles.RoleNotAssumable as error:
        # AWS refuses such a function at CreateFunction; here the invocation fails, saying why.
        refusal = {"errorType": "InvalidParameterValueException", "errorMessage": str(error)}
        return json.dumps(refusal), True, str(error)
    environment = call_environment.environment_of(_function_variables(self, credentials))
    with _concurrency, call_environment.running_in(environment), _package_on_path(_code_dir(self)):
        context = _context_for(self)
        key = (self.function_arn, self.code_sha_256, credentials.access_key_id)
        try:
            instance = _take_instance(self, key)  # a cold start imports it: Lambda's init phase, outside the timeout
        except Exception as error:  # the import's error is the function's error
            return _error_document(error, context)
        try:
            result = _timed_call(self, instance.handler, payload, context)
        except _TimedOut:
            sys.modules.pop(instance.module_name, None)  # Lambda discards the runtime of a call that timed out
            seconds = float(self.timeout)
            message = f"RequestId: {context.aws_request_id} Error: Task timed out after {seconds:.2f} seconds"
            # AWS's document has these two keys only: the runtime was stopped, the handler raised nothing.
            return json.dumps({"errorMessage": message, "errorType": TIMEOUT_ERROR}), True, message
        except Exception as error:  # the Lambda runtime reports every exception as the function's error
            _give_back(key, instance)
            return _error_document(error, context)
        _give_back(key, instance)
    return json.dumps(result, default=str), False, ""


def _error_document(error: Exception, context: LambdaContext) -> tuple[str, bool, str]:
    document = {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "requestId": context.aws_request_id,
        "stackTrace": traceback.format_exception(error)[-6:],
    }
    return json.dumps(document), True, f"{document['errorType']}: {document['errorMessage']}"


def _timed_call(
    function: LambdaFunction, handler: Callable[[Any, Any], Any], payload: Any, context: LambdaContext
) -> Any:
    log = function_logs.FunctionCall(
        function.account_id, function.region, context.log_group_name, context.log_stream_name, context.aws_request_id
    )

    def call() -> Any:
        _call_clocks.current = context.call_clock  # for `pause` on the handler's thread
        with function_logs.collecting(log):  # on the handler's thread: what it writes is the function's log
            for hook in _before_invoke:  # inside the timed call: an injected delay counts against the timeout
                hook(function.function_name, payload)
            return handler(payload, context)

    context.call_clock = CallClock(float(function.timeout))  # the timeout runs from here
    started = time.perf_counter()
    try:
        return _run_until_timeout(function.function_name, call, context.call_clock)
    finally:
        seconds = time.perf_counter() - started
        # Billed duration on AWS is the handler's time: recorded per function for cost estimates.
        handler_seconds.setdefault(function.function_name, []).append(seconds)
        if _still_deployed(function):  # not a call that outlived a reset of the embedded AWS (a background one)
            function_logs.deliver(log, seconds * 1000, int(function.memory_size))


def _still_deployed(function: LambdaFunction) -> bool:
    """Whether `function` is still the deployed one: a reset (and a new deploy) replaces every function."""
    try:
        return bool(
            lambda_backends[function.account_id][function.region].get_function(function.function_name) is function
        )
    except UnknownFunctionException:
        return False


def _run_until_timeout(name: str, call: Callable[[], Any], call_clock: CallClock) -> Any:
    """`call()` on a worker thread; _TimedOut once `call_clock` has run out, after the thread has unwound."""
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as error:  # the handler's exception goes to the caller; _StopHandler ends here
            outcome.append((False, error))

    worker = threading.Thread(target=target, name=f"lambda:{name}", daemon=True)
    worker.start()
    while worker.is_alive() and (remaining := call_clock.remaining()) > 0:
        worker.join(min(remaining, _POLL_SECONDS))
    if worker.is_alive():
        _stop(worker)
        raise _TimedOut
    succeeded, value = outcome[0]
    if succeeded:
        return value
    raise value


def _stop(worker: threading.Thread) -> None:
    """Raise _StopHandler in the worker until it has ended, so nothing of the call outlives its environment."""
    give_up = time.monotonic() + _UNWIND_SECONDS
    while worker.is_alive() and time.monotonic() < give_up:
        assert worker.ident is not None
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_StopHandler))
        worker.join(1.0)
    if worker.is_alive():
        logger.warning(
            "%s still running %.0f s after its timeout; its environment is restored anyway",
            worker.name,
            _UNWIND_SECONDS,
        )


def _context_for(function: LambdaFunction) -> LambdaContext:
    return LambdaContext(
        function_name=function.function_name,
        function_version=str(function.version),
        invoked_function_arn=function.function_arn,
        memory_limit_in_mb=int(function.memory_size),
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function.function_name}",
        log_stream_name=time.strftime("%Y/%m/%d/[$LATEST]embedded"),
        call_clock=CallClock(float(function.timeout)),
    )


def _role_credentials(function: LambdaFunction) -> service_roles.SessionCredentials:
    """The execution role's session; with IAM not enforced, the administrator's keys (nothing is checked)."""
    if not iam_enforcement.is_enabled():
        return service_roles.SessionCredentials(ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, "")
    return service_roles.credentials_for(function.role, service_roles.LAMBDA, function.function_name)


def _function_variables(function: LambdaFunction, credentials: service_roles.SessionCredentials) -> dict[str, str]:
    """The process environment of the function's execution environment: the process's, with Lambda's variables,
    the role's credentials and the function's own variables over it."""
    variables = {
        **os.environ,
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_ENDPOINT_URL": _endpoint_url,
        # No X-Ray daemon and no CloudWatch agent here: traces off, metrics still validated.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        **{key: str(value) for key, value in function.environment_vars.items()},
    }
    variables.pop("AWS_SESSION_TOKEN", None)
    if credentials.session_token:
        variables["AWS_SESSION_TOKEN"] = credentials.session_token
    return variables


@contextmanager
def _package_on_path(code_dir: Path) -> Iterator[None]:
    """The package root is on sys.path during the call, as /var/task is on AWS (for modules beside the handler)."""
    sys.path.insert(0, str(code_dir))
    try:
        yield
    finally:
        sys.path.remove(str(code_dir))


def _code_dir(function: LambdaFunction) -> Path:
    """The function's unpacked zip. Whole or not there: a call beside the one unpacking it waits for it (else it
    read a handler half written, and moto answered the Invoke with a 500)."""
    code_dir = _code_root / f"{function.function_name}-{function.code_sha_256[:12].replace('/', '_')}"
    with _unpacking:
        if not code_dir.exists():
            unpacked = Path(tempfile.mkdtemp(dir=_code_root))
            with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
                archive.extractall(unpacked)
            unpacked.rename(code_dir)
    return code_dir


def _take_instance(function: LambdaFunction, key: tuple[str, str, str]) -> _HandlerInstance:
    """An idle instance of the function's handler for this role session, or a new one (a cold start); the call's
    environment takes on the instance's library state."""
    environment = call_environment.current()
    assert environment is not None, "called in a call's environment"
    with _idle_lock:
        instances = _idle.get(key)
        if instances:
            instance = instances.pop()
            environment.library_state = instance.library_state
            return instance
        for stale in [k for k in _idle if k[:2] == key[:2] and k != key]:  # another role session: never used again
            for instance in _idle.pop(stale):
                sys.modules.pop(instance.module_name, None)
    return _import_handler(function, environment.library_state)


def _give_back(key: tuple[str, str, str], instance: _HandlerInstance) -> None:
    with _idle_lock:
        _idle.setdefault(key, []).append(instance)


def _import_handler(function: LambdaFunction, library_state: dict[str, dict[Any, Any]]) -> _HandlerInstance:
    module_name, _, attribute = function.handler.rpartition(".")
    source = _code_dir(function) / (module_name.replace(".", "/") + ".py")
    unique_name = f"embedded_lambda_{function.function_name.replace('-', '_')}_{next(_imports)}"
    spec = importlib.util.spec_from_file_location(unique_name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler {function.handler} from {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique_name] = module
    stdout_at_import = sys.stdout
    spec.loader.exec_module(module)
    _rebind_stdout_handlers(stdout_at_import)
    return _HandlerInstance(unique_name, getattr(module, attribute), library_state)

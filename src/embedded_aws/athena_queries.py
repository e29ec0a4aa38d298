"""Athena runs the queries it is given (moto's StartQueryExecution records a query and runs nothing: every query
"succeeds" without rows or a result file, so awswrangler fails with NoFilesFound and the CLI had a path of its own).

A query is Athena's SQL (Trino), translated by `athena_sql` and run by DuckDB over the Glue catalog's tables as
`athena_tables` reads them, with the credentials of the principal who started it: Athena reads the catalog and the
data, and writes the results, with the caller's permissions, so IAM decides here as there. It runs on its own
thread, `QUEUED` -> `RUNNING` -> `SUCCEEDED` / `FAILED` / `CANCELLED`; at most `RUNNING_AT_ONCE` run together (a
local limit: the others wait in QUEUED). The results are written before the state says SUCCEEDED, as Athena writes
them (`athena_results`): `<QueryExecutionId>.csv` and `.csv.metadata` in the workgroup's output location when the
workgroup enforces its configuration, else in the request's (or the workgroup's when the request names none).

What the API answers is the Athena API reference's (botocore's model: MaxResults up to 1,000 rows for
GetQueryResults, 0 to 50 ids for ListQueryExecutions, 1 to 50 for BatchGetQueryExecution) and, where the reference
gives no wording, Athena's own answers as the athena-local project measured them: `WorkGroup is not found.`,
`QueryExecution <id> was not found`, `Query has not yet finished. Current state: RUNNING`, `Query did not finish
successfully. Final query state: FAILED`, `Could not find results` for a cancelled query, each with its
AthenaErrorCode; a syntax error refused by StartQueryExecution itself (MALFORMED_QUERY); a failed query's
AthenaError (category 2, the ErrorType Athena gives each Trino error name, not retryable); `Query cancelled by
user`; stopping a finished query changes nothing. Not emulated: DDL, SHOW and DESCRIBE (they fail NOT_SUPPORTED),
ExecutionParameters, result reuse, GetQueryRuntimeStatistics, and the s3:GetObject on the results location that
GetQueryResults needs on AWS (the rows are kept in memory).
"""

from __future__ import annotations

import contextlib
import functools
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import duckdb
from botocore.exceptions import ClientError
from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError
from moto.iam import access_control

from embedded_aws import athena_sql, athena_tables, iam_enforcement
from embedded_aws.athena_results import ResultColumn, athena_text, csv_bytes, metadata_bytes, result_rows
from embedded_aws.cfn_template import ACCOUNT_ID
from embedded_aws.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY

# How many queries run at once here; later ones wait in QUEUED (a local limit, not Athena's quota).
RUNNING_AT_ONCE = 4
MAX_RESULTS = 1000  # GetQueryResults' MaxResults at most (Athena API reference)
MAX_LISTED = 50  # ListQueryExecutions' MaxResults at most, and its default
FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
# The ErrorType Athena gives a failed query by its Trino error name (measured by the athena-local project; the
# error catalog lists the types without the names); any other user error is 1000, "User error".
_ERROR_TYPES = {
    "TABLE_NOT_FOUND": 1301,
    "SCHEMA_NOT_FOUND": 1301,
    "CATALOG_NOT_FOUND": 1301,
    "COLUMN_NOT_FOUND": 1006,
    "TYPE_MISMATCH": 1002,
    "FUNCTION_NOT_FOUND": 1303,
    "DIVISION_BY_ZERO": 1001,
    "INVALID_CAST_ARGUMENT": 1100,
    "NOT_SUPPORTED": 1200,
}
# StartQueryExecution with no output location anywhere: Athena's wording as its users quote it (the reference says
# only that "Athena issues an error that no output location is provided").
_NO_OUTPUT_LOCATION = (
    "No output location provided. An output location is required either through the Workgroup result configuration "
    "setting or as an API input."
)


@dataclass
class _Settings:
    endpoint_url: str = ""


_settings = _Settings()
_slots = threading.Condition()
_running: set[str] = set()


class AthenaInvalidRequest(JsonRESTError):  # type: ignore[misc]  # moto is untyped here
    """Athena's InvalidRequestException: HTTP 400 with `Message` and `AthenaErrorCode` (also as `ErrorCode`)."""

    code = 400

    def __init__(self, message: str, athena_error_code: str) -> None:
        super().__init__("InvalidRequestException", message)
        body = {"__type": "InvalidRequestException", "Message": message}
        self.description = json.dumps(body | {"AthenaErrorCode": athena_error_code, "ErrorCode": athena_error_code})


@dataclass(frozen=True)
class Caller:
    """Who started the query: Athena reads the catalog and the data, and writes the results, with their
    permissions."""

    access_key: str
    secret_key: str
    token: str | None
    region: str

    def client(self, service: str) -> Any:
        return _client(service, self, _settings.endpoint_url)


@functools.lru_cache(maxsize=64)
def _client(service: str, caller: Caller, endpoint_url: str) -> Any:
    """One client per caller and service: making one loads the service's model (~0.1 s); clients are thread-safe."""
    session = boto3.Session(
        aws_access_key_id=caller.access_key,
        aws_secret_access_key=caller.secret_key,
        aws_session_token=caller.token,
        region_name=caller.region,
    )
    return session.client(service, endpoint_url=endpoint_url)


@dataclass
class QueryRun:
    """One query execution, from submission to its end."""

    id: str
    sql: str
    work_group: str
    context: dict[str, str]
    output_location: str  # the folder, ending in `/`
    encryption: dict[str, Any] | None
    engine_version: dict[str, str]
    caller: Caller
    token: str | None
    submitted: float = field(default_factory=time.time)
    state: str = "QUEUED"
    reason: str | None = None
    athena_error: dict[str, Any] | None = None
    started: float | None = None
    completed: float | None = None
    statistics: dict[str, int] = field(default_factory=dict)
    columns: list[ResultColumn] = field(default_factory=list)
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    connection: Any = None  # DuckDB's while the query runs, to interrupt it when the query is stopped
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def result_key(self) -> tuple[str, str]:
        bucket, _, prefix = self.output_location.removeprefix("s3://").partition("/")
        return bucket, f"{prefix}{self.id}.csv"

    def begin(self) -> bool:
        with self.lock:
            if self.state != "QUEUED":
                return False
            self.state, self.started = "RUNNING", time.time()
            return True

    def finish(self, state: str, reason: str | None = None, athena_error: dict[str, Any] | None = None) -> bool:
        """End the query unless it has ended already (a stopped query stays CANCELLED)."""
        with self.lock:
            if self.state in FINISHED:
                return False
            self.state, self.reason, self.athena_error, self.completed = state, reason, athena_error, time.time()
            connection = self.connection
        if state == "CANCELLED" and connection is not None:
            connection.interrupt()
        return True

    def fail(self, error: athena_sql.QueryError) -> None:
        category, error_type = 2, _ERROR_TYPES.get(error.name, 1000)
        if error.name == "PERMISSION_DENIED":
            error_type = 1501 if "Service: S3" in str(error) else 1500  # S3 permission error, permission error
        elif error.name.startswith("GENERIC_INTERNAL"):
            category, error_type = 1, 200  # "Query engine had an internal error"
        athena_error = {"ErrorCategory": category, "ErrorType": error_type, "Retryable": False}
        self.finish("FAILED", str(error), athena_error | {"ErrorMessage": str(error)})

    def description(self) -> dict[str, Any]:
        """GetQueryExecution's QueryExecution."""
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.reason is not None:
            status["StateChangeReason"] = self.reason
        if self.athena_error is not None:
            status["AthenaError"] = self.athena_error
        result_configuration: dict[str, Any] = {"OutputLocation": f"{self.output_location}{self.id}.csv"}
        if self.encryption:
            result_configuration["EncryptionConfiguration"] = self.encryption
        return {
            "QueryExecutionId": self.id,
            "Query": self.sql,
            "StatementType": "DML",
            "SubstatementType": "SELECT",
            "ResultConfiguration": result_configuration,
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": self.context,
            "Status": status,
            "Statistics": self._statistics(),
            "WorkGroup": self.work_group,
            "EngineVersion": self.engine_version,
        }

    def _statistics(self) -> dict[str, Any]:
        now = time.time()
        queued = ((self.started or self.completed or now) - self.submitted) * 1000
        statistics: dict[str, Any] = {
            "EngineExecutionTimeInMillis": 0,
            "DataScannedInBytes": 0,
            "TotalExecutionTimeInMillis": int(((self.completed or now) - self.submitted) * 1000),
            "QueryQueueTimeInMillis": int(queued),
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": 0,
            "ServiceProcessingTimeInMillis": 0,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }
        return statistics | self.statistics


@contextlib.contextmanager
def installed(endpoint_url: str) -> Iterator[None]:
    with (
        mock.patch.object(_settings, "endpoint_url", endpoint_url),
        mock.patch.multiple(
            AthenaResponse,
            start_query_execution=_start_query_execution,
            get_query_execution=_get_query_execution,
            get_query_results=_get_query_results,
            stop_query_execution=_stop_query_execution,
            list_query_executions=_list_query_executions,
        ),
        mock.patch.object(AthenaResponse, "batch_get_query_execution", _batch_get_query_execution, create=True),
    ):
        yield


def runs(backend: Any) -> dict[str, QueryRun]:
    """The backend's query executions, oldest first (kept on the backend: moto's reset forgets them with it)."""
    found: dict[str, QueryRun] = vars(backend).setdefault("embedded_query_runs", {})
    return found


# ---------- the API ----------
def _start_query_execution(self: AthenaResponse) -> str:
    backend = self.athena_backend
    sql: str = self._get_param("QueryString")
    token: str | None = self._get_param("ClientRequestToken")
    for earlier in list(runs(backend).values()):  # a copy: other requests may add queries meanwhile
        if token and earlier.token == token:  # a retried request (the SDKs send a token of their own)
            if earlier.sql != sql:
                raise AthenaInvalidRequest("Idempotent parameters do not match", "IDEMPOTENT_PARAMETER_MISMATCH")
            return json.dumps({"QueryExecutionId": earlier.id})
    work_group_name: str = self._get_param("WorkGroup") or "primary"
    work_group = backend.work_groups.get(work_group_name)
    if work_group is None:
        raise AthenaInvalidRequest("WorkGroup is not found.", "INVALID_INPUT")
    result_configuration = _result_configuration(work_group.configuration, self._get_param("ResultConfiguration"))
    location = result_configuration.get("OutputLocation")
    if not location:
        raise AthenaInvalidRequest(_NO_OUTPUT_LOCATION, "INVALID_INPUT")
    try:
        athena_sql.parse(sql)
    except athena_sql.MalformedQuery as error:
        raise AthenaInvalidRequest(str(error), "MALFORMED_QUERY") from None
    except athena_sql.QueryError:
        pass  # a statement that parses but fails later: it fails as the query runs
    run = QueryRun(
        id=str(uuid.uuid4()),
        sql=sql,
        work_group=work_group_name,
        context=self._get_param("QueryExecutionContext") or {},
        output_location=location.rstrip("/") + "/",
        encryption=result_configuration.get("EncryptionConfiguration"),
        engine_version=work_group.configuration.get("EngineVersion", {}),
        caller=_caller(self),
        token=token,
    )
    runs(backend)[run.id] = run
    threading.Thread(target=_run, args=(run,), name=f"athena-{run.id}", daemon=True).start()
    return json.dumps({"QueryExecutionId": run.id})


def _result_configuration(work_group: dict[str, Any], requested: dict[str, Any] | None) -> dict[str, Any]:
    """The workgroup's settings when it enforces them ("override client-side settings"), else the request's over
    the workgroup's (Athena user guide, Specifying a query result location)."""
    own: dict[str, Any] = work_group.get("ResultConfiguration") or {}
    if work_group.get("EnforceWorkGroupConfiguration", True) or not requested:
        return own
    return own | requested


def _caller(response: AthenaResponse) -> Caller:
    """The principal who made `response`'s request, with its credentials (the administrator when IAM is off)."""
    if not iam_enforcement.is_enabled():
        return Caller(ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, None, response.region)
    key_id = response.headers.get("Authorization", "").partition("Credential=")[2].partition("/")[0]
    token = response.headers.get("X-Amz-Security-Token")
    key = access_control.create_access_key(ACCOUNT_ID, "aws", key_id, {"X-Amz-Security-Token": token} if token else {})
    credentials = key.create_credentials()
    return Caller(credentials.access_key, credentials.secret_key, credentials.token, response.region)


def _run_of(response: AthenaResponse) -> QueryRun:
    query_id: str = response._get_param("QueryExecutionId")
    run = runs(response.athena_backend).get(query_id)
    if run is None:
        raise AthenaInvalidRequest(f"QueryExecution {query_id} was not found", "QUERY_EXECUTION_NOT_FOUND")
    return run


def _get_query_execution(self: AthenaResponse) -> str:
    return json.dumps({"QueryExecution": _run_of(self).description()})


def _batch_get_query_execution(self: AthenaResponse) -> str:
    found, unprocessed = [], []
    for query_id in self._get_param("QueryExecutionIds") or []:
        run = runs(self.athena_backend).get(query_id)
        if run is not None:
            found.append(run.description())
        else:  # the reference names the members, not the values
            message = f"QueryExecution {query_id} was not found"
            unprocessed.append({"QueryExecutionId": query_id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": message})
    return json.dumps({"QueryExecutions": found, "UnprocessedQueryExecutionIds": unprocessed})


def _get_query_results(self: AthenaResponse) -> str:
    run = _run_of(self)
    max_results = self._get_param("MaxResults") or MAX_RESULTS
    if max_results > MAX_RESULTS:
        raise AthenaInvalidRequest(f"MaxResults is more than maximum allowed length {MAX_RESULTS}", "INVALID_INPUT")
    if run.state in ("QUEUED", "RUNNING"):
        message = f"Query has not yet finished. Current state: {run.state}"
        raise AthenaInvalidRequest(message, "INVALID_QUERY_EXECUTION_STATE")
    if run.state == "FAILED":
        message = "Query did not finish successfully. Final query state: FAILED"
        raise AthenaInvalidRequest(message, "INVALID_QUERY_EXECUTION_STATE")
    if run.state == "CANCELLED":
        raise AthenaInvalidRequest("Could not find results", "RESULT_NOT_FOUND")
    rows = result_rows(run.columns, run.rows)
    start = _offset(self._get_param("NextToken"), run.id)
    page: dict[str, Any] = {
        "UpdateCount": 0,
        "ResultSet": {
            "Rows": rows[start : start + max_results],
            "ResultSetMetadata": {"ColumnInfo": [column.column_info() for column in run.columns]},
        },
    }
    if start + max_results < len(rows):
        page["NextToken"] = _token(start + max_results, run.id)
    return json.dumps(page)


def _stop_query_execution(self: AthenaResponse) -> str:
    run = _run_of(self)
    run.finish("CANCELLED", "Query cancelled by user")  # a query that has ended stays as it ended
    return "{}"


def _list_query_executions(self: AthenaResponse) -> str:
    work_group = self._get_param("WorkGroup") or "primary"
    if work_group not in self.athena_backend.work_groups:
        raise AthenaInvalidRequest("WorkGroup is not found.", "INVALID_INPUT")
    max_results = self._get_param("MaxResults") or MAX_LISTED
    if max_results > MAX_LISTED:  # worded as GetQueryResults' refusal (this one's was not recorded)
        raise AthenaInvalidRequest(f"MaxResults is more than maximum allowed length {MAX_LISTED}", "INVALID_INPUT")
    ids = [run.id for run in reversed(list(runs(self.athena_backend).values())) if run.work_group == work_group]
    start = _offset(self._get_param("NextToken"), work_group)
    page: dict[str, Any] = {"QueryExecutionIds": ids[start : start + max_results]}
    if start + max_results < len(ids):
        page["NextToken"] = _token(start + max_results, work_group)
    return json.dumps(page)


def _token(offset: int, scope: str) -> str:
    return f"{scope}:{offset}"


def _offset(token: str | None, scope: str) -> int:
    """Where a page starts; a token that is not one of this listing's is refused as Athena refuses it."""
    if token is None:
        return 0
    owner, _, offset = token.rpartition(":")
    if owner != scope or not offset.isdigit():
        raise AthenaInvalidRequest(f"Malformed nextPageToken {token}", "INVALID_INPUT")
    return int(offset)


# ---------- the run ----------
def _run(run: QueryRun) -> None:
    if not _take_slot(run):
        return
    try:
        if run.begin():
            _execute(run)
    except athena_sql.QueryError as error:
        run.fail(error)
    except Exception as error:  # never left RUNNING: an emulator failure is reported as Athena reports its own
        run.fail(athena_sql.QueryError("GENERIC_INTERNAL_ERROR", f"{type(error).__name__}: {error}"))
    finally:
        with _slots:
            _running.discard(run.id)
            _slots.notify_all()


def _take_slot(run: QueryRun) -> bool:
    """Wait in QUEUED for one of the RUNNING_AT_ONCE places; False if the query is stopped meanwhile."""
    with _slots:
        while len(_running) >= RUNNING_AT_ONCE:
            if run.state != "QUEUED":
                return False
            _slots.wait(0.05)
        _running.add(run.id)
        return True


def _execute(run: QueryRun) -> None:
    glue, s3 = run.caller.client("glue"), run.caller.client("s3")
    planning = time.monotonic()
    query = athena_sql.parse(run.sql)
    database = run.context.get("Database", "default").lower()
    tables = athena_tables.read_catalog(glue, athena_sql.table_references(query, database))
    translation = athena_sql.to_duckdb(query, athena_tables.schema_of(tables), database)
    planned = time.monotonic()
    scanned = _evaluate(run, query, translation, tables, s3)
    if run.state == "CANCELLED":  # stopped meanwhile: a cancelled query writes no results
        return
    executed = time.monotonic()
    _write_results(run, s3)
    run.statistics = {
        "DataScannedInBytes": scanned,
        "QueryPlanningTimeInMillis": int((planned - planning) * 1000),
        "EngineExecutionTimeInMillis": int((executed - planning) * 1000),
        "ServiceProcessingTimeInMillis": int((time.monotonic() - executed) * 1000),
    }
    run.finish("SUCCEEDED")


def _evaluate(
    run: QueryRun,
    query: athena_sql.ParsedQuery,
    translation: athena_sql.Translation,
    tables: list[athena_tables.CatalogTable],
    s3: Any,
) -> int:
    """Run the translated query on DuckDB into `run`'s columns and rows; the bytes of data it read."""
    with tempfile.TemporaryDirectory(prefix="athena-query-") as workdir, duckdb.connect() as connection:
        run.connection = connection  # stop_query_execution interrupts it
        try:
            if run.state == "CANCELLED":
                return 0
            connection.execute("SET TimeZone = 'UTC'")
            connection.execute("ATTACH ':memory:' AS awsdatacatalog")
            scanned = athena_tables.load(connection, s3, tables, Path(workdir))
            relation = connection.sql(translation.sql)
            names, types, values = translation.column_names or relation.columns, relation.types, relation.fetchall()
        except duckdb.InterruptException:
            return 0  # stopped: the query is CANCELLED already
        except duckdb.Error as error:
            raise athena_sql.engine_error(query, str(error)) from None
        finally:
            run.connection = None
    run.columns = [ResultColumn.of(name, kind) for name, kind in zip(names, types, strict=True)]
    run.rows = [tuple(athena_text(value) for value in row) for row in values]
    return scanned


def _write_results(run: QueryRun, s3: Any) -> None:
    """The result files, written as the caller before the query says SUCCEEDED (a client may read them then)."""
    bucket, key = run.result_key
    files = {key: csv_bytes(run.columns, run.rows), f"{key}.metadata": metadata_bytes(run.id, run.columns)}
    try:
        for name, body in files.items():
            s3.put_object(Bucket=bucket, Key=name, Body=body, ContentType="application/octet-stream")
    except ClientError as error:
        raise _not_written(error, bucket, key) from None


def _not_written(error: ClientError, bucket: str, key: str) -> athena_sql.QueryError:
    """Athena's words for a results location it cannot write, as its users report them (the docs give none)."""
    code = error.response.get("Error", {}).get("Code")
    if code in ("AccessDenied", "403"):
        message = (
            f"Access denied when writing output to url: s3://{bucket}/{key} . Please ensure you are allowed to access "
            "the S3 bucket (Service: S3, Status Code: 403)"
        )
        return athena_sql.QueryError("PERMISSION_DENIED", message)
    if code == "NoSuchBucket":
        return athena_sql.QueryError("GENERIC_USER_ERROR", f"Unable to verify/create output bucket {bucket}")
    return athena_sql.QueryError("GENERIC_INTERNAL_ERROR", f"{code}: writing s3://{bucket}/{key} failed")

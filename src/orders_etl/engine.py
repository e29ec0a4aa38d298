"""Validate and flatten one order file at DuckDB speed, in bounded memory, with the reference's exact semantics.

DuckDB reads the file once with an explicit schema (every contract field as JSON, so nothing is inferred or
silently cast) and, in the same statement, types every value and judges it against every rule of the contract,
into one temporary table of rows (spilling to disk beyond `memory_limit`). One query counts the verdicts; when the
file is certainly valid, one COPY writes the rows as Parquet partitioned by `dt`. Connections are kept between
files (see _connection).

The reference implementation (orders_etl.contract), which defines the contract and produces the exact problem
list with positions, decides instead:
- for small files (EngineSettings.small_file_bytes), where its whole pass costs less than DuckDB's fixed cost;
- whenever DuckDB cannot be certain:
  - DuckDB rejects the text (syntax, bad UTF-8, duplicate keys, a non-object where an object belongs, …);
  - a check fails (the file is invalid: the reference reports every problem);
  - a value is outside what a double represents exactly (money >= 1e13, integers beyond 64 bits, more than
    six fraction digits of seconds, years at the calendar's ends), or the bytes hold a token DuckDB reads
    differently (NaN/Infinity, which DuckDB accepts even in unknown fields; 16 or more digits in a row, a
    decimal point among them or not, which can collapse to a 2-decimal double). DuckDB itself rejects lone
    surrogates and duplicate keys.
Valid files are the fast path; the reference path costs time, never correctness. Either way DuckDB writes the
Parquet, so both paths give the same bytes for the same rows.
"""

from __future__ import annotations

import gzip
import json
import logging
import queue
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from orders_etl.contract import Record, iter_order_file
from orders_etl.contract.spec import Contract, load_contract
from orders_etl.engine_sql import (
    literal,
    output_query,
    quoted,
    read_json,
    reference_rows_query,
    rows_query,
    verdicts_query,
)
from orders_etl.errors import FileTooLarge

logger = logging.getLogger(__name__)
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_CHUNK = 8 * 1024 * 1024
# Byte patterns DuckDB would read differently from the reference (see the module docstring).
_UNCERTAIN_TOKENS = (b"NaN", b"Infinity")
# Digits and the decimal point as "0": a run of them holding 16 digits or more is a number with more significant
# digits than a double holds, whether or not a point splits them (1234567.00000000001 is the double 1234567.0, a
# valid amount). A JSON integer is read exactly (BIGINT, UBIGINT; beyond 20 digits the run is long); a 16-digit
# mantissa with an exponent lands beyond the exact range or with too many decimals either way. Runs of 17 are
# found at memory speed, then their digits counted (a string of dots is no number).
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 or b == 0x2E else 0x78 for b in range(256))
_DIGIT_RUN = b"0" * 17
_DIGITS_IN_DOUBT = 16
_LONGEST_RUN_KEPT = 1024 * 1024  # a run of digits and points longer than this across chunks: not worth vouching for


@dataclass(frozen=True)
class FileSummary:
    orders: int
    rows: int
    orders_without_products: int
    rows_by_date: dict[str, int]
    engine: str  # "duckdb" (fast path) or "reference"
    reason: str = ""  # why the reference decided, when it did


@dataclass(frozen=True)
class FlattenedFile:
    summary: FileSummary
    parquet_files: dict[str, list[Path]] = field(default_factory=dict)  # dt -> files written under output_dir


@dataclass(frozen=True)
class EngineSettings:
    memory_limit: str = "256MB"
    threads: int = 2
    # Below this many bytes (decompressed) the reference validates and DuckDB only writes: DuckDB's fixed cost per
    # file (planning the checks, ~5 ms) exceeds the reference's whole pass (~0.1 ms per KB); measured equal near
    # 150 KB on a quiet machine, so the reference keeps well within DuckDB's time up to here.
    small_file_bytes: int = 64 * 1024


SMALL_FILE_REASON = "a small file: the reference checks it faster than DuckDB plans its checks"


class _NeedsReference(Exception):
    """The fast path cannot vouch for this file; the reference decides. The message says why."""


def scan_order_file(
    path: Path,
    *,
    source_key: str,
    max_bytes: int,
    workdir: Path,
    settings: EngineSettings | None = None,
    contract: Contract | None = None,
) -> FileSummary:
    """Validate a local file against the contract (the shipped one by default); raises InvalidOrderFile or
    FileTooLarge. Nothing is written but scratch files."""
    job = _Job(source_key, max_bytes, workdir, settings or EngineSettings(), contract or load_contract())
    return _process(path, None, job).summary


def flatten_order_file(
    path: Path,
    output_dir: Path,
    *,
    source_key: str,
    max_bytes: int,
    workdir: Path,
    settings: EngineSettings | None = None,
    contract: Contract | None = None,
) -> FlattenedFile:
    """Validate, then write `output_dir/<partition>=YYYY-MM-DD/*.parquet`; raises InvalidOrderFile or FileTooLarge."""
    job = _Job(source_key, max_bytes, workdir, settings or EngineSettings(), contract or load_contract())
    return _process(path, output_dir, job)


@dataclass(frozen=True)
class _Job:
    """What one file is processed with."""

    source_key: str
    max_bytes: int
    workdir: Path
    settings: EngineSettings
    contract: Contract


def _process(path: Path, output_dir: Path | None, job: _Job) -> FlattenedFile:
    size = path.stat().st_size
    if size > job.max_bytes:
        raise FileTooLarge(job.source_key, size, job.max_bytes)
    job.workdir.mkdir(parents=True, exist_ok=True)
    with _plain_text(path, job.workdir, job.source_key, job.max_bytes) as text_path:
        try:
            if text_path is not None and text_path.stat().st_size < job.settings.small_file_bytes:
                raise _NeedsReference(SMALL_FILE_REASON)
            return _fast_path(text_path, output_dir, job)
        except _NeedsReference as needs:
            reason = str(needs)
            # A DuckDB failure on a file it should read (memory, a setting) costs speed: make it visible.
            if reason != SMALL_FILE_REASON:
                (logger.warning if reason.startswith("DuckDB") else logger.info)("reference path: %s", reason)
            return _reference_path(path, output_dir, job, reason)


# --- input preparation -----------------------------------------------------------------------------------------


@contextmanager
def _plain_text(path: Path, workdir: Path, source_key: str, max_bytes: int) -> Iterator[Path | None]:
    """The decompressed file (None when gzip is broken: the reference reports it), removed afterwards."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == _GZIP_MAGIC
    if not compressed:
        yield path
        return
    target = workdir / "input.json"
    try:
        ok = _gunzip_to(path, target, source_key, max_bytes)
        yield target if ok else None
    finally:
        target.unlink(missing_ok=True)


def _gunzip_to(source: Path, target: Path, source_key: str, max_bytes: int) -> bool:
    written = 0
    try:
        with gzip.open(source, "rb") as reader, target.open("wb") as writer:
            while chunk := reader.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise FileTooLarge(source_key, written, max_bytes, decompressed=True)
                writer.write(chunk)
    except (OSError, EOFError, zlib.error):
        return False
    return True


def _first_character(path: Path) -> bytes:
    with path.open("rb") as handle:
        head = handle.read(4096)
        while head.startswith(_BOM) or (head and not head.lstrip()):
            head = head.removeprefix(_BOM).lstrip() or handle.read(4096)
    return head.lstrip()[:1]


def _has_uncertain_bytes(path: Path) -> bool:
    """Tokens DuckDB reads differently from the reference; bytes.find and translate run at memory speed."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            if any(window.find(token) >= 0 for token in _UNCERTAIN_TOKENS):
                return True
            digits = window.translate(_DIGITS_AS_ZERO)
            if _has_long_number(window, digits):
                return True
            # The next window starts with this one's last run of digits and points, whole, and the bytes a token
            # split by the chunk's end needs.
            run_start = digits.rfind(b"x") + 1
            if len(window) - run_start > _LONGEST_RUN_KEPT:
                return True
            tail = window[min(run_start, len(window) - len(_UNCERTAIN_TOKENS[-1]) + 1) :]
    return False


def _has_long_number(window: bytes, digits: bytes) -> bool:
    """Whether a run of digits and points in `window` (`digits`: its translation) holds 16 digits or more."""
    start = digits.find(_DIGIT_RUN)
    while start >= 0:  # the first 17 of a run: its start
        end = digits.find(b"x", start)
        end = len(digits) if end < 0 else end
        if end - start - window.count(b".", start, end) >= _DIGITS_IN_DOUBT:
            return True
        start = digits.find(_DIGIT_RUN, end)
    return False


# --- fast path -------------------------------------------------------------------------------------------------


def _fast_path(text_path: Path | None, output_dir: Path | None, job: _Job) -> FlattenedFile:
    if text_path is None:
        raise _NeedsReference("the gzip stream is broken")
    first = _first_character(text_path)
    if first not in (b"[", b"{"):
        raise _NeedsReference("the file starts with neither [ nor {")
    import duckdb

    # The byte scan runs beside DuckDB, which releases the GIL while it reads.
    contract = job.contract
    with ThreadPoolExecutor(max_workers=1) as pool, _connection(job.workdir, job.settings) as connection:
        uncertain = pool.submit(_has_uncertain_bytes, text_path)
        try:
            fmt = "array" if first == b"[" else "newline_delimited"
            rows = rows_query(_source(connection, text_path, fmt, contract), contract)
            verdicts = _judge(connection, rows, contract)
            if uncertain.result():
                raise _NeedsReference("NaN, Infinity or a run of 16+ digits, which DuckDB reads differently")
            summary = _summary(verdicts)
            files = _write(connection, rows, output_dir, job) if output_dir is not None else {}
        except duckdb.Error as error:
            raise _NeedsReference(f"DuckDB: {str(error).splitlines()[0][:300]}") from error
    return FlattenedFile(summary, files)


# Connections kept between files (a warm Lambda's next call, the embedded AWS's concurrent calls): creating one
# costs ~10 ms, more than DuckDB takes to read, check and write a small file.
_idle_connections: queue.SimpleQueue[tuple[EngineSettings, Any]] = queue.SimpleQueue()


@contextmanager
def _connection(workdir: Path, settings: EngineSettings) -> Iterator[Any]:
    """A connection with no tables of an earlier file, spilling under `workdir`; idle again afterwards.

    One that failed (DuckDB raised, or anything unexpected) is closed, not reused: whatever state a failure left
    cannot reach the next file."""
    connection = _spilling_under(_reused_connection(settings), workdir)
    if connection is None:
        connection = _connect(settings)
        connection.execute(f"SET temp_directory = {literal(_spill_directory(workdir))}")
    try:
        yield connection
    except _NeedsReference as needs:
        _release(connection, settings, reusable=needs.__cause__ is None)  # a verdict, not a DuckDB failure
        raise
    except BaseException:
        connection.close()
        raise
    _release(connection, settings, reusable=True)


def _spill_directory(workdir: Path) -> str:
    return str(workdir / "duckdb-spill")


def _spilling_under(connection: Any | None, workdir: Path) -> Any | None:
    """The connection, spilling under `workdir` from now on; None (closed) when it cannot switch: DuckDB refuses
    another temporary directory once one has been used (a file that spilled, then went to the reference path)."""
    if connection is None:
        return None
    import duckdb

    try:
        connection.execute(f"SET temp_directory = {literal(_spill_directory(workdir))}")
    except duckdb.NotImplementedException:
        connection.close()
        return None
    return connection


def _release(connection: Any, settings: EngineSettings, *, reusable: bool) -> None:
    if not reusable:
        connection.close()
        return
    connection.execute(f"DROP TABLE IF EXISTS {_PARSED}")
    _idle_connections.put((settings, connection))


def _reused_connection(settings: EngineSettings) -> Any | None:
    while True:
        try:
            made_with, connection = _idle_connections.get_nowait()
        except queue.Empty:
            return None
        if made_with == settings:
            return connection
        connection.close()


def _connect(settings: EngineSettings) -> Any:
    import duckdb  # a module-level import would cost every Lambda that never flattens

    connection = duckdb.connect(config=_duckdb_config(settings))
    # Date-only and offset-less times are UTC by contract; set after connecting (the ICU extension loads lazily).
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _duckdb_config(settings: EngineSettings) -> dict[str, Any]:
    return {
        "memory_limit": settings.memory_limit,
        "threads": settings.threads,
        "preserve_insertion_order": True,
        "enable_external_access": True,
        # How many rows a thread gathers for the partitioned COPY before handing them to the files' writers. The
        # default (524,288) holds about 400 MB in a 500 MB file's 28 partitions, which at the 256MB limit spills
        # to disk and back: 500 MB of JSON Lines took 4.5 s to write, 2.6 s with this (1.1-1.6x faster at 100 MB).
        "partitioned_write_flush_threshold": 2048,
    }


# A JSON array is parsed on one thread (DuckDB splits only JSON Lines between threads): it is parsed once into this
# table, which the check and the write then scan on every thread. JSON Lines are read twice, on every thread,
# which measured faster than keeping them (100 MB: 0.97 s read twice, 1.15 s kept).
_PARSED = "parsed_orders"


def _source(connection: Any, text_path: Path, fmt: str, contract: Contract) -> str:
    """What the file's records are read from: `read_json` of the file, or the table it was parsed into."""
    reader = read_json(text_path, fmt, contract)
    if fmt != "array":
        return reader
    connection.execute(f"CREATE TEMP TABLE {_PARSED} AS SELECT * FROM {reader}")
    return _PARSED


def _judge(connection: Any, rows: str, contract: Contract) -> tuple[Any, ...]:
    verdicts: tuple[Any, ...] = connection.execute(verdicts_query(rows, contract)).fetchone()
    return verdicts


def _write(connection: Any, rows: str, output_dir: Path, job: _Job) -> dict[str, list[Path]]:
    query = output_query(rows, job.source_key, job.contract)
    return _copy_partitioned(connection, query, output_dir, job.contract)


def _summary(verdicts: tuple[Any, ...]) -> FileSummary:
    """Counts of a certainly valid file; _NeedsReference for anything else (the reference lists the problems)."""
    orders, invalid, without_products, duplicates, invalid_products, by_date = verdicts
    if orders == 0 or invalid or duplicates or invalid_products:
        raise _NeedsReference("the file breaks the contract (or holds no orders): the reference lists the problems")
    rows_by_date = {dt: int(rows) for dt, rows in sorted((by_date or {}).items())}
    return FileSummary(int(orders), sum(rows_by_date.values()), int(without_products), rows_by_date, "duckdb")


def _copy_partitioned(connection: Any, query: str, output_dir: Path, contract: Contract) -> dict[str, list[Path]]:
    """COPY … PARTITION_BY (the partition) straight into output_dir, which must be new or empty (no second tree to
    move: a directory costs as much to create as a small file's Parquet to write). Returns partition value -> files."""
    if output_dir.exists() and any(output_dir.iterdir()):
        raise ValueError(f"{output_dir} is not empty: the Parquet files go into a new or empty folder")
    partition = contract.partition_column
    metadata = ", ".join(f"{key}: {literal(value)}" for key, value in contract.parquet_metadata().items())
    connection.execute(
        f"COPY ({query}) TO {literal(str(output_dir))} (FORMAT parquet, PARTITION_BY ({quoted(partition)}), "
        f"COMPRESSION snappy, FILENAME_PATTERN 'part-{{i}}', ROW_GROUP_SIZE 122880, KV_METADATA {{{metadata}}}, "
        "OVERWRITE_OR_IGNORE)"
    )
    folders = sorted(output_dir.glob(f"{partition}=*"))
    return {folder.name.removeprefix(f"{partition}="): sorted(folder.glob("*.parquet")) for folder in folders}


# --- reference path --------------------------------------------------------------------------------------------


def _reference_path(path: Path, output_dir: Path | None, job: _Job, reason: str) -> FlattenedFile:
    """The reference validates (raising with every problem) and, for a valid file, DuckDB writes its values.

    The file is streamed: one record at a time is in memory, never the file or all its records."""
    counts = _ReferenceCounts()
    records = counts.tally(
        iter_order_file(path, source_key=job.source_key, max_bytes=job.max_bytes, contract=job.contract)
    )
    if output_dir is None:
        for _ in records:
            pass
        return FlattenedFile(counts.summary(reason))
    files = _write_reference_rows(records, output_dir, job)
    return FlattenedFile(counts.summary(reason), files)


class _ReferenceCounts:
    """The FileSummary of the records that pass through tally()."""

    def __init__(self) -> None:
        self.records = 0
        self.without_rows = 0
        self.rows_by_partition: dict[str, int] = {}

    def tally(self, records: Iterable[Record]) -> Iterator[Record]:
        for record in records:
            self.records += 1
            if record.rows:
                self.rows_by_partition[record.partition] = self.rows_by_partition.get(record.partition, 0) + len(
                    record.rows
                )
            else:
                self.without_rows += 1
            yield record

    def summary(self, reason: str) -> FileSummary:
        return FileSummary(
            orders=self.records,
            rows=sum(self.rows_by_partition.values()),
            orders_without_products=self.without_rows,
            rows_by_date=dict(sorted(self.rows_by_partition.items())),
            engine="reference",
            reason=reason,
        )


def _write_reference_rows(records: Iterable[Record], output_dir: Path, job: _Job) -> dict[str, list[Path]]:
    """Exact values as text (decimals, UTC timestamps), cast by DuckDB: one Parquet writer for both paths.

    Rows are written as the records arrive; when the records end in InvalidOrderFile (or anything else), the
    partial rows file is removed and the error goes on."""
    rows_path = job.workdir / "reference-rows.jsonl"
    try:
        with rows_path.open("w", encoding="utf-8") as handle:
            for record in records:
                shared = {column: _exact_text(value) for column, value in record.values.items()}
                for row in record.rows:
                    exact = shared | {column: _exact_text(value) for column, value in row.items()}
                    handle.write(json.dumps(exact, ensure_ascii=False) + "\n")
        with _connection(job.workdir, job.settings) as connection:
            query = reference_rows_query(rows_path, job.source_key, job.contract)
            return _copy_partitioned(connection, query, output_dir, job.contract)
    finally:
        rows_path.unlink(missing_ok=True)


def _exact_text(value: Any) -> str | None:
    """A typed value as text DuckDB casts back exactly: a timestamp with its offset and milliseconds."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # Decimal, int

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
    differently (NaN/Infinity, which DuckDB accepts even in unknown fields; a digit run of 16 or more, which
    can collapse to a 2-decimal double). DuckDB itself rejects lone surrogates and duplicate keys.
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
from pathlib import Path
from typing import Any

from orders_etl.columns import OUTPUT_COLUMNS
from orders_etl.contract import Order, iter_order_file
from orders_etl.errors import FileTooLarge

logger = logging.getLogger(__name__)
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_CHUNK = 8 * 1024 * 1024
# Byte patterns DuckDB would read differently from the reference (see the module docstring).
_UNCERTAIN_TOKENS = (b"NaN", b"Infinity")
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
_DIGIT_RUN = b"0" * 16  # more significant digits than a double holds
_OVERLAP = 15
# Python's str.isspace() set, so that "whitespace-only" means the same in SQL as in the reference.
_SPACE_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x3001)) if c.isspace())
_DATE_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?"
)
_COLUMNS = (
    "{order_id: 'JSON', order_date: 'JSON', total_amount: 'JSON', "
    "customer: 'STRUCT(customer_id JSON, name JSON, email JSON, address JSON)', "
    "products: 'STRUCT(product_id JSON, name JSON, category JSON, price JSON, quantity JSON)[]'}"
)


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
    path: Path, *, source_key: str, max_bytes: int, workdir: Path, settings: EngineSettings | None = None
) -> FileSummary:
    """Validate a local file; raises InvalidOrderFile or FileTooLarge. Nothing is written but scratch files."""
    return _process(path, None, source_key, max_bytes, workdir, settings or EngineSettings()).summary


def flatten_order_file(
    path: Path,
    output_dir: Path,
    *,
    source_key: str,
    max_bytes: int,
    workdir: Path,
    settings: EngineSettings | None = None,
) -> FlattenedFile:
    """Validate, then write `output_dir/dt=YYYY-MM-DD/*.parquet`; raises InvalidOrderFile or FileTooLarge."""
    return _process(path, output_dir, source_key, max_bytes, workdir, settings or EngineSettings())


def _process(
    path: Path, output_dir: Path | None, source_key: str, max_bytes: int, workdir: Path, settings: EngineSettings
) -> FlattenedFile:
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLarge(source_key, size, max_bytes)
    workdir.mkdir(parents=True, exist_ok=True)
    with _plain_text(path, workdir, source_key, max_bytes) as text_path:
        try:
            if text_path is not None and text_path.stat().st_size < settings.small_file_bytes:
                raise _NeedsReference(SMALL_FILE_REASON)
            return _fast_path(text_path, output_dir, source_key, workdir, settings)
        except _NeedsReference as needs:
            reason = str(needs)
            # A DuckDB failure on a file it should read (memory, a setting) costs speed: make it visible.
            if reason != SMALL_FILE_REASON:
                (logger.warning if reason.startswith("DuckDB") else logger.info)("reference path: %s", reason)
            return _reference_path(path, output_dir, source_key, max_bytes, workdir, settings, reason)


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
            if window.translate(_DIGITS_AS_ZERO).find(_DIGIT_RUN) >= 0:
                return True
            tail = chunk[-_OVERLAP:]
    return False


# --- fast path -------------------------------------------------------------------------------------------------


def _fast_path(
    text_path: Path | None, output_dir: Path | None, source_key: str, workdir: Path, settings: EngineSettings
) -> FlattenedFile:
    if text_path is None:
        raise _NeedsReference("the gzip stream is broken")
    first = _first_character(text_path)
    if first not in (b"[", b"{"):
        raise _NeedsReference("the file starts with neither [ nor {")
    import duckdb

    # The byte scan runs beside DuckDB, which releases the GIL while it reads.
    with ThreadPoolExecutor(max_workers=1) as pool, _connection(workdir, settings) as connection:
        uncertain = pool.submit(_has_uncertain_bytes, text_path)
        try:
            rows = _rows(_source(connection, text_path, "array" if first == b"[" else "newline_delimited"))
            verdicts = _judge(connection, rows)
            if uncertain.result():
                raise _NeedsReference("NaN, Infinity or a run of 16+ digits, which DuckDB reads differently")
            summary = _summary(verdicts)
            files = _write(connection, rows, output_dir, source_key) if output_dir is not None else {}
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
    connection = _reused_connection(settings) or _connect(settings)
    connection.execute(f"SET temp_directory = {_literal(str(workdir / 'duckdb-spill'))}")
    try:
        yield connection
    except _NeedsReference as needs:
        _release(connection, settings, reusable=needs.__cause__ is None)  # a verdict, not a DuckDB failure
        raise
    except BaseException:
        connection.close()
        raise
    _release(connection, settings, reusable=True)


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


def _literal(text: str) -> str:
    """A SQL string literal (COPY and CREATE VIEW cannot take prepared parameters)."""
    return "'" + text.replace("'", "''") + "'"


# A JSON array is parsed on one thread (DuckDB splits only JSON Lines between threads): it is parsed once into this
# table, which the check and the write then scan on every thread. JSON Lines are read twice, on every thread,
# which measured faster than keeping them (100 MB: 0.97 s read twice, 1.15 s kept).
_PARSED = "parsed_orders"


def _source(connection: Any, text_path: Path, fmt: str) -> str:
    """What the file's orders are read from: `read_json` of the file, or the table it was parsed into."""
    reader = (
        f"read_json({_literal(str(text_path))}, format = '{fmt}', columns = {_COLUMNS}, maximum_object_size = 16777216)"
    )
    if fmt != "array":
        return reader
    connection.execute(f"CREATE TEMP TABLE {_PARSED} AS SELECT * FROM {reader}")
    return _PARSED


def _rows(source: str) -> str:
    """One row per product, the order's fields beside each, typed, with the verdict of every rule of the contract.

    An order without products keeps one row (position 1, products 0) so that it is checked and counted. Rows keep
    the file's order (preserve_insertion_order). Each JSON value is taken apart once (its type, its text, its
    number), in the projection below the rules, which the rules and the typed columns share."""
    return f"""
        SELECT order_valid, order_id, order_date, dt, total_amount,
            customer_id, customer_name, customer_email, customer_address, products, position,
            products = 0 OR ({_product_checks()}) AS product_valid,
            product_id, product_name, category,
            TRY_CAST(price_number AS DECIMAL(18, 2)) AS price,
            TRY_CAST(quantity_number AS BIGINT) AS quantity
        FROM (
            SELECT *, {_parts("p.product_id", "product_id", text=True)},
                {_parts("p.name", "product_name", text=True)}, {_parts("p.category", "category", text=True)},
                {_parts("p.price", "price", number=True)}, {_parts("p.quantity", "quantity", number=True)},
                p.quantity AS quantity_json
            FROM (
                SELECT * EXCLUDE (items, order_date_parsed), {_DT} AS dt,
                    generate_subscripts(items, 1) AS position, unnest(items) AS p
                FROM (
                    SELECT *, ({_order_checks()}) AS order_valid,
                        date_trunc('millisecond', order_date_parsed) AS order_date,
                        TRY_CAST(total_amount_number AS DECIMAL(18, 2)) AS total_amount
                    FROM (
                        SELECT {_parts("order_id", "order_id", text=True)},
                            {_parts("order_date", "order_date_text", text=True)},
                            TRY_CAST(order_date ->> '$' AS TIMESTAMPTZ) AS order_date_parsed,
                            {_parts("total_amount", "total_amount", number=True)},
                            customer IS NULL AS customer_missing,
                            {_parts("customer.customer_id", "customer_id", text=True)},
                            {_parts("customer.name", "customer_name", text=True)},
                            {_parts("customer.email", "customer_email", text=True)},
                            {_parts("customer.address", "customer_address", text=True)},
                            coalesce(len(products), 0) AS products, products IS NULL AS products_missing,
                            CASE WHEN len(products) > 0 THEN products ELSE [NULL] END AS items
                        FROM {source}
                    )
                )
            )
        )
        """


def _parts(value: str, name: str, *, text: bool = False, number: bool = False) -> str:
    """A JSON value's parts as columns: `<name>_type` (json_type), and its text as `<name>` or its number as
    `<name>_number` (a double)."""
    parts = [f"json_type({value}) AS {name}_type"]
    if text:
        parts.append(f"{value} ->> '$' AS {name}")
    if number:
        parts.append(f"TRY_CAST({value} AS DOUBLE) AS {name}_number")
    return ", ".join(parts)


def _is_id(name: str) -> str:
    spaces = f"[{_SPACE_CLASS}]*"
    return (
        f"coalesce({name}_type IN ('UBIGINT', 'BIGINT') OR ({name}_type = 'VARCHAR' "
        f"AND NOT regexp_full_match({name}, '{spaces}')), false)"
    )


def _is_text(name: str) -> str:
    """Absent, null or a string (json_type of an absent value is NULL)."""
    return f"coalesce({name}_type IS NULL OR {name}_type IN ('NULL', 'VARCHAR'), false)"


def _is_money(name: str) -> str:
    number = f"{name}_number"
    return (
        f"coalesce({name}_type IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND {number} >= 0 AND {number} < 1e13 "
        f"AND round({number}, 2) = {number}, false)"
    )


def _is_quantity(name: str) -> str:
    number = f"{name}_number"
    return (
        f"coalesce(({name}_type IN ('UBIGINT', 'BIGINT') AND TRY_CAST({name}_json AS HUGEINT) "
        f"BETWEEN 1 AND 9223372036854775807) OR ({name}_type = 'DOUBLE' AND {number} >= 1 "
        f"AND {number} < 9e15 AND {number} = floor({number})), false)"
    )


def _is_date(name: str) -> str:
    return (
        f"coalesce({name}_text_type = 'VARCHAR' AND regexp_full_match({name}_text, '{_DATE_PATTERN}') "
        f"AND {name}_parsed BETWEEN TIMESTAMPTZ '0001-01-02 00:00:00+00' "
        f"AND TIMESTAMPTZ '9999-12-30 00:00:00+00', false)"
    )


def _order_checks() -> str:
    rules = [
        _is_id("order_id"),
        _is_date("order_date"),
        _is_money("total_amount"),
        "NOT customer_missing",
        _is_id("customer_id"),
        _is_text("customer_name"),
        _is_text("customer_email"),
        _is_text("customer_address"),
        "NOT products_missing",
    ]
    return " AND ".join(rules)


def _product_checks() -> str:
    rules = [
        "p IS NOT NULL",
        _is_id("product_id"),
        _is_text("product_name"),
        _is_text("category"),
        _is_money("price"),
        _is_quantity("quantity"),
    ]
    return " AND ".join(rules)


_DT = "strftime(order_date, '%Y-%m-%d')"
_ORDER_ROW = "position = 1"  # each order's first row: where the order's own values are counted


def _judge(connection: Any, rows: str) -> tuple[Any, ...]:
    """The counts that decide the file: orders, invalid ones, without products, duplicated ids, invalid products,
    and rows per date.

    Grouped by order id, then by date: a grouped aggregate spills to disk, where count(DISTINCT order_id) kept
    every id in memory and ran out of it on 2 GB of JSON Lines (3.8 M orders at the 256MB limit). An order's
    rows share its date; ids that repeat make the file invalid, whatever dates they count under."""
    verdicts: tuple[Any, ...] = connection.execute(
        f"""
        SELECT coalesce(sum(orders), 0), coalesce(sum(invalid), 0), coalesce(sum(without_products), 0),
               coalesce(sum(repeated), 0), coalesce(sum(invalid_products), 0),
               map_from_entries(list((dt, product_rows)) FILTER (WHERE product_rows > 0))
        FROM (
            SELECT dt, sum(orders) AS orders, sum(invalid) AS invalid, sum(without_products) AS without_products,
                   sum(orders) - count(*) AS repeated, sum(invalid_products) AS invalid_products,
                   sum(product_rows) AS product_rows
            FROM (
                SELECT order_id, any_value(dt) AS dt,
                       count(*) FILTER (WHERE {_ORDER_ROW}) AS orders,
                       count(*) FILTER (WHERE {_ORDER_ROW} AND NOT order_valid) AS invalid,
                       count(*) FILTER (WHERE {_ORDER_ROW} AND products = 0) AS without_products,
                       count(*) FILTER (WHERE NOT product_valid) AS invalid_products,
                       count(*) FILTER (WHERE products > 0) AS product_rows
                FROM ({rows})
                GROUP BY order_id
            )
            GROUP BY dt
        )
        """
    ).fetchone()
    return verdicts


def _summary(verdicts: tuple[Any, ...]) -> FileSummary:
    """Counts of a certainly valid file; _NeedsReference for anything else (the reference lists the problems)."""
    orders, invalid, without_products, duplicates, invalid_products, by_date = verdicts
    if orders == 0 or invalid or duplicates or invalid_products:
        raise _NeedsReference("the file breaks the contract (or holds no orders): the reference lists the problems")
    rows_by_date = {dt: int(rows) for dt, rows in sorted((by_date or {}).items())}
    return FileSummary(int(orders), sum(rows_by_date.values()), int(without_products), rows_by_date, "duckdb")


def _write(connection: Any, rows: str, output_dir: Path, source_key: str) -> dict[str, list[Path]]:
    columns = ", ".join(
        name if name != "source_key" else f"{_literal(source_key)} AS source_key" for name in OUTPUT_COLUMNS
    )
    return _copy_partitioned(connection, f"SELECT {columns}, dt FROM ({rows}) WHERE products > 0", output_dir)


def _copy_partitioned(connection: Any, query: str, output_dir: Path) -> dict[str, list[Path]]:
    """COPY … PARTITION_BY (dt) straight into output_dir, which must be new or empty (no second tree to move:
    a directory costs as much to create as a small file's Parquet to write)."""
    if output_dir.exists() and any(output_dir.iterdir()):
        raise ValueError(f"{output_dir} is not empty: the Parquet files go into a new or empty folder")
    connection.execute(
        f"COPY ({query}) TO {_literal(str(output_dir))} (FORMAT parquet, PARTITION_BY (dt), COMPRESSION snappy, "
        "FILENAME_PATTERN 'part-{i}', ROW_GROUP_SIZE 122880, OVERWRITE_OR_IGNORE)"
    )
    return {
        folder.name.removeprefix("dt="): sorted(folder.glob("*.parquet")) for folder in sorted(output_dir.glob("dt=*"))
    }


# --- reference path --------------------------------------------------------------------------------------------


def _reference_path(
    path: Path,
    output_dir: Path | None,
    source_key: str,
    max_bytes: int,
    workdir: Path,
    settings: EngineSettings,
    reason: str,
) -> FlattenedFile:
    """The reference validates (raising with every problem) and, for a valid file, DuckDB writes its values.

    The file is streamed: one order at a time is in memory, never the file or all its orders."""
    counts = _ReferenceCounts()
    orders = counts.tally(iter_order_file(path, source_key=source_key, max_bytes=max_bytes))
    if output_dir is None:
        for _ in orders:
            pass
        return FlattenedFile(counts.summary(reason))
    files = _write_reference_rows(orders, output_dir, source_key, workdir, settings)
    return FlattenedFile(counts.summary(reason), files)


class _ReferenceCounts:
    """The FileSummary of the orders that pass through tally()."""

    def __init__(self) -> None:
        self.orders = 0
        self.without_products = 0
        self.rows_by_date: dict[str, int] = {}

    def tally(self, orders: Iterable[Order]) -> Iterator[Order]:
        for order in orders:
            self.orders += 1
            if order.products:
                dt = order.order_date.strftime("%Y-%m-%d")
                self.rows_by_date[dt] = self.rows_by_date.get(dt, 0) + len(order.products)
            else:
                self.without_products += 1
            yield order

    def summary(self, reason: str) -> FileSummary:
        return FileSummary(
            orders=self.orders,
            rows=sum(self.rows_by_date.values()),
            orders_without_products=self.without_products,
            rows_by_date=dict(sorted(self.rows_by_date.items())),
            engine="reference",
            reason=reason,
        )


def _write_reference_rows(
    orders: Iterable[Order], output_dir: Path, source_key: str, workdir: Path, settings: EngineSettings
) -> dict[str, list[Path]]:
    """Exact values as text (decimals, UTC timestamps), cast by DuckDB: one Parquet writer for both paths.

    Rows are written as the orders arrive; when the orders end in InvalidOrderFile (or anything else), the
    partial rows file is removed and the error goes on."""
    rows_path = workdir / "reference-rows.jsonl"
    try:
        with rows_path.open("w", encoding="utf-8") as handle:
            for order in orders:
                for product in order.products:
                    handle.write(json.dumps(_reference_row(order, product), ensure_ascii=False) + "\n")
        with _connection(workdir, settings) as connection:
            query = f"""
            SELECT order_id, CAST(order_date AS TIMESTAMPTZ) AS order_date,
                   CAST(total_amount AS DECIMAL(18, 2)) AS total_amount,
                   customer_id, customer_name, customer_email, customer_address, product_id, product_name,
                   category, CAST(price AS DECIMAL(18, 2)) AS price, CAST(quantity AS BIGINT) AS quantity,
                   {_literal(source_key)} AS source_key, strftime(CAST(order_date AS TIMESTAMPTZ), '%Y-%m-%d') AS dt
            FROM read_json({_literal(str(rows_path))}, format = 'newline_delimited',
                           columns = {_REFERENCE_COLUMNS})
            """
            return _copy_partitioned(connection, query, output_dir)
    finally:
        rows_path.unlink(missing_ok=True)


# The reference writes every value as exact text; DuckDB casts it (source_key is added by the query).
_REFERENCE_COLUMNS = "{" + ", ".join(f"{name}: 'VARCHAR'" for name in OUTPUT_COLUMNS if name != "source_key") + "}"


def _reference_row(order: Order, product: Any) -> dict[str, str | None]:
    return {
        "order_id": order.order_id,
        "order_date": order.order_date.isoformat(timespec="milliseconds"),
        "total_amount": str(order.total_amount),
        "customer_id": order.customer.customer_id,
        "customer_name": order.customer.name,
        "customer_email": order.customer.email,
        "customer_address": order.customer.address,
        "product_id": product.product_id,
        "product_name": product.name,
        "category": product.category,
        "price": str(product.price),
        "quantity": str(product.quantity),
    }

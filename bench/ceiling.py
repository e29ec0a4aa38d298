"""The ceiling: DuckDB's raw typed pass over an order file, with no checks (what the project's speed aims at).

One statement: ``read_json`` with the engine's own explicit columns (``orders_etl.engine_sql.read_columns``),
plain casts (no validation, no fallback), ``unnest`` of the products, and ``COPY … (FORMAT parquet, PARTITION_BY (dt),
COMPRESSION snappy)``, on a connection configured as the engine's (its DuckDB settings for the default
``EngineSettings``, and ``TimeZone = 'UTC'``). What the project adds on top (every contract check, the
byte scan, the reference fallback, the second read) is the gap between its time and this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_BOM = b"\xef\xbb\xbf"
_TYPED = """
    order_id ->> '$' AS order_id,
    TRY_CAST(order_date ->> '$' AS TIMESTAMPTZ) AS order_date,
    TRY_CAST(total_amount AS DECIMAL(18, 2)) AS total_amount,
    customer.customer_id ->> '$' AS customer_id,
    customer.name ->> '$' AS customer_name,
    customer.email ->> '$' AS customer_email,
    customer.address ->> '$' AS customer_address,
    p.product_id ->> '$' AS product_id,
    p.name ->> '$' AS product_name,
    p.category ->> '$' AS category,
    TRY_CAST(p.price AS DECIMAL(18, 2)) AS price,
    TRY_CAST(p.quantity AS BIGINT) AS quantity
"""


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_format(path: Path) -> str:
    """``array`` when the first character (after a BOM and whitespace) is ``[``, else ``newline_delimited``."""
    with path.open("rb") as handle:
        head = handle.read(4096).removeprefix(_BOM).lstrip()
    return "array" if head[:1] == b"[" else "newline_delimited"


def connect(workdir: Path) -> Any:
    """A connection configured as the engine's (its default EngineSettings), spilling under `workdir`."""
    import duckdb

    from orders_etl.engine import EngineSettings, _duckdb_config

    connection = duckdb.connect(
        config={**_duckdb_config(EngineSettings()), "temp_directory": str(workdir / "duckdb-spill")}
    )
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def run_ceiling(
    input_path: Path, output_dir: Path, *, source_key: str, workdir: Path, connection: Any = None
) -> dict[str, int]:
    """Write ``output_dir/dt=YYYY-MM-DD/*.parquet`` in one unchecked DuckDB pass; returns the rows written.

    On `connection` when given (kept open, as a warm Lambda keeps the engine's), else on a new one."""
    from orders_etl.contract.spec import load_contract
    from orders_etl.engine_sql import read_columns

    own = connection is None
    connection = connect(workdir) if own else connection
    try:
        fmt = _json_format(input_path)
        source = f"read_json({_sql_text(str(input_path))}, format = '{fmt}', columns = {read_columns(load_contract())})"
        (rows,) = connection.execute(
            f"""
            COPY (
                SELECT *, strftime(order_date, '%Y-%m-%d') AS dt
                FROM (SELECT {_TYPED}, {_sql_text(source_key)} AS source_key
                      FROM (SELECT *, unnest(products) AS p FROM {source}))
            ) TO {_sql_text(str(output_dir))} (FORMAT parquet, PARTITION_BY (dt), COMPRESSION snappy)
            """
        ).fetchone()
    finally:
        if own:
            connection.close()
    return {"rows": int(rows), "partitions": sum(1 for _ in output_dir.glob("dt=*"))}

"""The SQL of the DuckDB engine: the file read with an explicit schema, every value typed and judged by the
contract's rules, the counts that decide the file, and the rows written as Parquet."""

from __future__ import annotations

from pathlib import Path

from orders_etl.columns import OUTPUT_COLUMNS
from orders_etl.contract.spec import Contract

# Python's str.isspace() set, so that "whitespace-only" means the same in SQL as in the reference.
_SPACE_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x3001)) if c.isspace())
_DATE_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?"
)
READ_COLUMNS = (
    "{order_id: 'JSON', order_date: 'JSON', total_amount: 'JSON', "
    "customer: 'STRUCT(customer_id JSON, name JSON, email JSON, address JSON)', "
    "products: 'STRUCT(product_id JSON, name JSON, category JSON, price JSON, quantity JSON)[]'}"
)


def literal(text: str) -> str:
    """A SQL string literal (COPY and CREATE VIEW cannot take prepared parameters)."""
    return "'" + text.replace("'", "''") + "'"


def read_json(text_path: Path, fmt: str, contract: Contract) -> str:
    """`read_json` of the file with the contract's schema, every field as raw JSON (nothing inferred or cast)."""
    return (
        f"read_json({literal(str(text_path))}, format = '{fmt}', columns = {READ_COLUMNS}, "
        "maximum_object_size = 16777216)"
    )


def rows_query(source: str, contract: Contract) -> str:
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


def verdicts_query(rows: str, contract: Contract) -> str:
    """The counts that decide the file: orders, invalid ones, without products, duplicated ids, invalid products,
    and rows per date.

    Grouped by order id, then by date: a grouped aggregate spills to disk, where count(DISTINCT order_id) kept
    every id in memory and ran out of it on 2 GB of JSON Lines (3.8 M orders at the 256MB limit). An order's
    rows share its date; ids that repeat make the file invalid, whatever dates they count under."""
    return f"""
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


def output_query(rows: str, source_key: str, contract: Contract) -> str:
    """The rows of a valid file with the table's columns and the partition (orders without products give none)."""
    columns = ", ".join(
        name if name != "source_key" else f"{literal(source_key)} AS source_key" for name in OUTPUT_COLUMNS
    )
    return f"SELECT {columns}, dt FROM ({rows}) WHERE products > 0"


# The reference writes every value as exact text; DuckDB casts it (source_key is added by the query).
_REFERENCE_COLUMNS = "{" + ", ".join(f"{name}: 'VARCHAR'" for name in OUTPUT_COLUMNS if name != "source_key") + "}"


def reference_rows_query(rows_path: Path, source_key: str, contract: Contract) -> str:
    """The reference's rows (JSON Lines of exact text values) cast to the table's columns, with the partition."""
    return f"""
        SELECT order_id, CAST(order_date AS TIMESTAMPTZ) AS order_date,
               CAST(total_amount AS DECIMAL(18, 2)) AS total_amount,
               customer_id, customer_name, customer_email, customer_address, product_id, product_name,
               category, CAST(price AS DECIMAL(18, 2)) AS price, CAST(quantity AS BIGINT) AS quantity,
               {literal(source_key)} AS source_key, strftime(CAST(order_date AS TIMESTAMPTZ), '%Y-%m-%d') AS dt
        FROM read_json({literal(str(rows_path))}, format = 'newline_delimited', columns = {_REFERENCE_COLUMNS})
        """

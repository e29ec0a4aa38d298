"""An order file as a pandas DataFrame in a notebook, checked exactly as the pipeline checks it.

    >>> from orders_etl.dataframe import read_dataframe
    >>> frame = read_dataframe("events/orders/good_orders.json")          # the shipped contract
    >>> frame.dtypes["price"]
    decimal128(18, 2)[pyarrow]

A bad file raises the pipeline's InvalidOrderFile (every problem with its position) or FileTooLarge. pandas and
pyarrow are the project's dev dependencies, not the Lambda layer's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from orders_etl.contract import DEFAULT_MAX_BYTES, Contract, iter_order_file, load_contract
from orders_etl.flatten import flatten_records, table_schema


def read_dataframe(
    path: str | Path, *, contract: str | Contract = "orders", max_bytes: int = DEFAULT_MAX_BYTES
) -> pd.DataFrame:
    """The file's rows with the table's columns and types (Arrow-backed: exact decimals, UTC timestamps), then the
    partition column as Athena shows it; rows by partition date, in file order within each. `contract` is a
    shipped contract's name, a contract file or a Contract."""
    chosen = load_contract(contract) if isinstance(contract, str) else contract
    source = Path(path)
    records = iter_order_file(source, source_key=source.name, max_bytes=max_bytes, contract=chosen)
    flattened = flatten_records(records, source_key=source.name, contract=chosen)
    tables = [
        table.append_column(chosen.partition_column, pa.array([dt] * table.num_rows, pa.string()))
        for dt, table in flattened.partitions.items()
    ]
    if not tables:  # every record without rows: the columns, no rows
        schema = table_schema(chosen).append(pa.field(chosen.partition_column, pa.string()))
        tables = [schema.empty_table()]
    return pa.concat_tables(tables).to_pandas(types_mapper=pd.ArrowDtype)

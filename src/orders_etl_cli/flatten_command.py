"""`orders-etl flatten INPUT OUTPUT_DIR [--contract NAME_OR_PATH]`: the Lambdas' validate + flatten on a local
file."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from orders_etl.contract import Contract
from orders_etl.engine import flatten_order_file
from orders_etl.errors import FileTooLarge, InvalidOrderFile
from orders_etl.output_keys import output_name, parquet_key
from orders_etl.source_files import scratch_directory

EXIT_INVALID = 2


def flatten_local(input_path: Path, output_dir: Path, max_bytes: int, contract: Contract) -> int:
    """Write OUTPUT_DIR/<partition>=YYYY-MM-DD/<name>.parquet as the pipeline names them; 2 for a bad file."""
    source_key = input_path.name
    started = time.monotonic()
    try:
        with scratch_directory() as scratch:
            result = flatten_order_file(
                input_path,
                scratch / "parquet",
                source_key=source_key,
                max_bytes=max_bytes,
                workdir=scratch / "work",
                contract=contract,
            )
            written = _place(result.parquet_files, output_dir, output_name(source_key, ""), contract.partition_column)
    except (InvalidOrderFile, FileTooLarge) as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_INVALID
    summary = result.summary
    seconds = time.monotonic() - started
    print(
        f"{summary.orders} orders ({summary.orders_without_products} without products), {summary.rows} rows, "
        f"{len(summary.rows_by_date)} partitions, {len(written)} Parquet files under {output_dir} "
        f"in {seconds:.2f} s ({summary.engine} path)"
    )
    for value, rows in summary.rows_by_date.items():
        print(f"  {contract.partition_column}={value}: {rows} rows")
    return 0


def _place(files: dict[str, list[Path]], output_dir: Path, name: str, partition_column: str) -> list[Path]:
    placed = []
    for value, paths in sorted(files.items()):
        for index, path in enumerate(paths):
            target = output_dir / parquet_key("", partition_column, value, name if index == 0 else f"{name}-{index}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            placed.append(target)
    return placed

"""Whether a contract can replace the one the deployed table was written under, and what a change needs.

The table lives in the Glue Data Catalog, kept by the crawler (which merges the columns of every file: a column
a new contract adds is appended, and older partitions read it as NULL in Athena). So:
- a new optional field is compatible: deploy, and newer files fill its column;
- a new required field is compatible for the table (older rows read NULL), but the older files would now be
  refused: a backfill of them fails, so it is reported as a warning;
- a column whose type changes, or that the contract no longer writes (a removal, or a rename: a removal and an
  addition), needs every file rewritten under the new contract (a backfill) or a new table: incompatible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orders_etl.contract.spec import Column, Contract, Field

# The type Glue's crawler records for each contract type's Parquet column (Hive type names).
_GLUE_TYPES = {
    "identifier": "string",
    "text": "string",
    "integer": "bigint",
    "timestamp": "timestamp",
    "date": "date",
    "boolean": "boolean",
}


def glue_type(column: Column) -> str:
    """The Glue type of a column of the table (source_key, the pipeline's own, is a string)."""
    if column.field is None:
        return "string"
    return _glue_type_of(column.field)


def _glue_type_of(value: Field) -> str:
    if value.type == "money":
        return f"decimal({value.precision},{value.scale})"
    return _GLUE_TYPES[value.type]


@dataclass(frozen=True)
class Compatibility:
    """The verdict: `incompatible` changes need a backfill (or a new table); `warnings` do not block a deploy."""

    added: list[str] = field(default_factory=list)
    incompatible: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not self.incompatible


def compare(contract: Contract, table_columns: list[tuple[str, str]], partition_keys: list[str]) -> Compatibility:
    """`contract` against the table's columns (name, Glue type) and partition keys, as GetTable describes them."""
    result = Compatibility()
    existing = {name.lower(): kind.lower() for name, kind in table_columns}
    wanted = {column.name: column for column in contract.columns()}
    if partition_keys and partition_keys != [contract.partition_column]:
        result.incompatible.append(
            f"the table is partitioned by {', '.join(partition_keys)}, the contract by {contract.partition_column}"
        )
    for name, kind in existing.items():
        if name not in wanted:
            result.incompatible.append(f"column {name} ({kind}) is no longer written: removed or renamed")
        elif glue_type(wanted[name]) != kind:
            result.incompatible.append(f"column {name} changes type: {kind} -> {glue_type(wanted[name])}")
    for name, column in wanted.items():
        if name in existing:
            continue
        result.added.append(f"column {name} ({glue_type(column)}) is added: older partitions read it as NULL")
        if column.field is not None and column.field.required:
            result.warnings.append(
                f"column {name} is required: files written before it lack it and a backfill of them would fail"
            )
    return result

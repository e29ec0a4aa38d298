"""Athena's SQL (engine version 3, Trino) made to mean the same on DuckDB, for the embedded Athena (`athena_queries`).

A query is parsed with sqlglot's Athena dialect, its table names resolved as Athena resolves them, its columns
resolved against the Glue catalog's schema, and written as DuckDB SQL over views named `awsdatacatalog.<db>.<table>`.
Where DuckDB would answer differently from Athena, the translation keeps Athena's meaning:

- names: `awsdatacatalog.db.t`, `db.t`, `"db"."t"` and a bare `t` in the QueryExecutionContext's database,
  case-insensitively, as Trino folds identifiers (the catalog's names are lower case);
- output columns are named as Athena names them: lower case, `_col0`, `_col1`... for unnamed expressions;
- integer division stays integer, and a decimal literal such as `1.5` is a double (Athena reads decimal literals
  as doubles: `SELECT 0.1 + 0.2` gives 0.30000000000000004 there; measured by the athena-local project, the AWS
  docs say nothing of it);
- a timestamp cast to varchar keeps its milliseconds (`2025-03-01 10:00:00.000`), as Trino's timestamp(3) does.

Errors are named and placed as Athena reports them (`TABLE_NOT_FOUND: line 1:15: Table
'awsdatacatalog.orders_etl.nope' does not exist`); a syntax error is `MalformedQuery`, which Athena returns from
StartQueryExecution itself. Its wording is sqlglot's, not Trino's ANTLR `mismatched input ... Expecting: ...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

CATALOG = "awsdatacatalog"
# Athena's catalog as the API names it (QueryExecutionContext.Catalog, ColumnInfo...); SQL folds it to lower case.
CATALOG_NAME = "AwsDataCatalog"
_MILLISECONDS = "%Y-%m-%d %H:%M:%S.%g"  # DuckDB's strftime: %g is milliseconds
_UNNAMED = "__athena_unnamed_"
# {database: {table: {column: Glue type}}}, the tables a query reads.
Schema = dict[str, dict[str, dict[str, str]]]


class MalformedQuery(Exception):
    """The statement does not parse: Athena refuses it at StartQueryExecution (InvalidRequestException)."""


class QueryError(Exception):
    """The query fails: `name` is Trino's error name, the message Athena's `NAME: line L:C: detail`."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name


@dataclass(frozen=True)
class TableReference:
    """A table the query names, resolved to its catalog and database, and where the name starts."""

    catalog: str
    database: str
    table: str
    position: str  # `line 1:15`, Trino's 1-based line and column

    @property
    def qualified(self) -> str:
        return f"{self.catalog}.{self.database}.{self.table}"


@dataclass(frozen=True)
class ParsedQuery:
    sql: str
    tree: exp.Expr  # a query: SELECT, WITH, UNION, VALUES...

    def offset(self, node: exp.Expr) -> int:
        """Where the node's first token starts in the query's text (0 when sqlglot kept no position)."""
        return min((part.meta["start"] for part in node.walk() if "start" in part.meta), default=0)

    def position(self, node: exp.Expr) -> str:
        """`line L:C` of the node's first token in the query's text (1-based, as Trino counts)."""
        start = self.offset(node)
        line = self.sql.count("\n", 0, start) + 1
        column = start - (self.sql.rfind("\n", 0, start) + 1) + 1
        return f"line {line}:{column}"


def parse(sql: str) -> ParsedQuery:
    """The statement as a query; MalformedQuery if it does not parse, QueryError if it is not a query."""
    try:
        statements = sqlglot.parse(sql, read="athena")
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        detail = first.get("description", str(error))
        raise MalformedQuery(f"line {first.get('line', 1)}:{first.get('col', 1)}: {detail}") from None
    if len(statements) != 1 or statements[0] is None:
        raise MalformedQuery("line 1:1: one statement expected")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        # DDL, SHOW, DESCRIBE, INSERT...: the embedded Athena runs queries only (see docs/embedded-aws.md).
        statement = " ".join(sql.split()[:2]).upper()
        raise QueryError("NOT_SUPPORTED", f"line 1:1: the embedded Athena runs queries only, not {statement}")
    return ParsedQuery(sql, tree)


def table_references(query: ParsedQuery, database: str) -> list[TableReference]:
    """The catalog tables the query reads, in the order they appear (a WITH query's own names are not tables)."""
    ctes = {cte.alias_or_name.lower() for cte in query.tree.find_all(exp.CTE)}
    references: list[TableReference] = []
    for table in sorted(query.tree.find_all(exp.Table), key=query.offset):
        if not table.name or (not table.db and table.name.lower() in ctes):
            continue
        catalog = (table.catalog or CATALOG).lower()
        if catalog != CATALOG:
            raise QueryError("CATALOG_NOT_FOUND", f"{query.position(table)}: Catalog '{catalog}' does not exist")
        reference = TableReference(catalog, (table.db or database).lower(), table.name.lower(), query.position(table))
        if reference not in references:
            references.append(reference)
    return references


@dataclass(frozen=True)
class Translation:
    sql: str  # DuckDB's
    column_names: list[str] | None  # as Athena names the result's columns (None: DuckDB's names are Athena's)


def to_duckdb(query: ParsedQuery, schema: Schema, database: str) -> Translation:
    """DuckDB SQL reading `awsdatacatalog.<db>.<table>` views; QueryError for a column the schema lacks."""
    tree = query.tree.copy()
    _name_unnamed_columns(tree)
    _decimal_literals_as_double(tree)
    catalog_schema: dict[str, object] | None = {CATALOG: schema} if schema else None  # sqlglot refuses {}
    try:
        tree = qualify(tree, schema=catalog_schema, dialect="athena", db=database, catalog=CATALOG)
    except OptimizeError as error:
        raise _column_error(query, str(error)) from None
    annotate_types(tree, schema=catalog_schema, dialect="athena")
    _timestamps_cast_to_text_keep_milliseconds(tree)
    names = _athena_output_names(tree)
    return Translation(tree.sql(dialect="duckdb"), names)


def engine_error(query: ParsedQuery, message: str) -> QueryError:
    """DuckDB's error in Athena's terms, placed at the query's node it names when there is one."""
    first_line = message.splitlines()[0] if message else message
    function = re.search(r"Function with name (\w+) does not exist", first_line)
    if function:
        name = function.group(1)
        node = next((f for f in query.tree.find_all(exp.Func) if _function_name(f) == name.lower()), query.tree)
        return QueryError("FUNCTION_NOT_FOUND", f"{query.position(node)}: Function '{name}' not registered")
    kind, _, detail = first_line.partition(": ")
    if kind == "Conversion Error":
        return QueryError("INVALID_CAST_ARGUMENT", f"line 1:1: {detail}")
    if kind in ("Binder Error", "Catalog Error"):
        return QueryError("TYPE_MISMATCH" if "type" in detail.lower() else "GENERIC_USER_ERROR", f"line 1:1: {detail}")
    return QueryError("GENERIC_INTERNAL_ERROR", detail or first_line)


def table_not_found(reference: TableReference) -> QueryError:
    return QueryError("TABLE_NOT_FOUND", f"{reference.position}: Table '{reference.qualified}' does not exist")


def database_not_found(reference: TableReference) -> QueryError:
    return QueryError("SCHEMA_NOT_FOUND", f"{reference.position}: Schema '{reference.database}' does not exist")


def _function_name(function: exp.Func) -> str:
    return (function.name if isinstance(function, exp.Anonymous) else function.sql_name()).lower()


def _outermost_select(tree: exp.Expr) -> exp.Select | None:
    """The SELECT whose projections name the result (the left-most one of a UNION)."""
    while isinstance(tree, exp.SetOperation | exp.Subquery):
        tree = tree.left if isinstance(tree, exp.SetOperation) else tree.this
    return tree if isinstance(tree, exp.Select) else None


def _name_unnamed_columns(tree: exp.Expr) -> None:
    """Mark the result's unnamed expressions, named by position once `*` is expanded (Trino's `_col0`...)."""
    select = _outermost_select(tree)
    if select is None:
        return
    for index, projection in enumerate(select.expressions):
        if not isinstance(projection, exp.Alias | exp.Column | exp.Star):
            projection.replace(exp.alias_(projection.copy(), f"{_UNNAMED}{index}"))


def _athena_output_names(tree: exp.Expr) -> list[str] | None:
    """The result's column names, as Athena gives them; kept by the outermost SELECT (repeated names included)."""
    select = _outermost_select(tree)
    if select is None:
        return None
    names = []
    for index, projection in enumerate(select.expressions):
        name = projection.alias_or_name
        names.append(f"_col{index}" if name.startswith(_UNNAMED) else name.lower())
        if isinstance(projection, exp.Alias):
            projection.set("alias", exp.to_identifier(names[-1]))
    return names


def _decimal_literals_as_double(tree: exp.Expr) -> None:
    for literal in list(tree.find_all(exp.Literal)):
        text = literal.this
        if literal.is_number and "." in text and "e" not in text.lower():
            literal.replace(exp.cast(literal.copy(), exp.DataType.Type.DOUBLE))


def _timestamps_cast_to_text_keep_milliseconds(tree: exp.Expr) -> None:
    for cast in list(tree.find_all(exp.Cast)):
        source = cast.this.type
        if cast.to.is_type(*exp.DataType.TEXT_TYPES) and source is not None and source.is_type("timestamp"):
            cast.replace(
                exp.Anonymous(this="strftime", expressions=[cast.this.copy(), exp.Literal.string(_MILLISECONDS)])
            )


def _column_error(query: ParsedQuery, message: str) -> QueryError:
    """sqlglot's unresolved column as Trino's COLUMN_NOT_FOUND (Athena's wording), at the column in the query."""
    match = re.search(r"Column '([^']+)' could not be resolved(?: for table: '([^']+)')?", message) or re.search(
        r"Unknown column: (\S+)", message
    )
    if match is None:
        return QueryError("GENERIC_USER_ERROR", f"line 1:1: {message}")
    name = match.group(1).lower()
    column = next((c for c in query.tree.find_all(exp.Column) if c.name.lower() == name), None)
    written = column.sql(dialect="athena") if column is not None else name
    return QueryError(
        "COLUMN_NOT_FOUND",
        f"{query.position(column or query.tree)}: Column '{written}' cannot be resolved or requester is not "
        "authorized to access requested resources",
    )

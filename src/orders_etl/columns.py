"""The output table's column names, in order: one list for the reference schema and the engine (no pyarrow here)."""

OUTPUT_COLUMNS: tuple[str, ...] = (
    "order_id",
    "order_date",
    "total_amount",
    "customer_id",
    "customer_name",
    "customer_email",
    "customer_address",
    "product_id",
    "product_name",
    "category",
    "price",
    "quantity",
    "source_key",
)

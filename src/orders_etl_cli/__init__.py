"""The `orders-etl` command: the embedded AWS, queries over the table, the demo (works against AWS too)."""

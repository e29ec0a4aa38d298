"""`orders-etl console`: executions as graphs with their history, quarantined files, redrive and replay, in a page
served on 127.0.0.1 against the embedded AWS or AWS (the CLI's target rules)."""

"""The custom metrics the functions emit, named once.

The functions emit them with Powertools Metrics in CloudWatch's embedded metric format (a log line that CloudWatch
turns into a metric, so no cloudwatch:PutMetricData permission is needed), in the namespace template.yaml gives
every function (`POWERTOOLS_METRICS_NAMESPACE`), with Powertools' default dimension `service` set to the
function's `POWERTOOLS_SERVICE_NAME`. The alarms and the dashboard in template.yaml name them too: a unit test
checks that the template and this module agree (tests/unit/test_template_notifications.py).
"""

from __future__ import annotations

NAMESPACE = "OrdersEtl"

FILES_PUBLISHED = "FilesPublished"  # an order file whose rows are now in the table (not superseded)
ROWS_WRITTEN = "RowsWritten"  # rows Flatten published
FILES_QUARANTINED = "FilesQuarantined"  # an order file moved to quarantine with its report
ORDERS_VALIDATED = "OrdersValidated"  # orders in a file Validate found good
CRAWLS_STARTED = "CrawlsStarted"  # Start crawl started the crawler
CRAWLS_JOINED = "CrawlsJoined"  # Start crawl found a crawl running and joined it
BACKFILL_FILES_FAILED = "BackfillFilesFailed"  # files of a backfill that failed (not quarantined)

# Each metric's `service` dimension: the function that emits it.
EMITTED_BY = {
    FILES_PUBLISHED: "flatten_orders",
    ROWS_WRITTEN: "flatten_orders",
    FILES_QUARANTINED: "quarantine_order_file",
}

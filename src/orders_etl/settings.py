"""Pipeline configuration, read from the Lambda environment that template.yaml sets."""

from __future__ import annotations

import os
from dataclasses import dataclass

from orders_etl.contract.spec import DEFAULT_CONTRACT, load_contract
from orders_etl.engine import EngineSettings


@dataclass(frozen=True)
class PipelineSettings:
    data_bucket: str
    raw_prefix: str
    parquet_prefix: str
    quarantine_prefix: str
    manifest_prefix: str
    crawler_name: str
    crawl_poll_interval_seconds: int
    crawl_poll_limit: int
    max_file_bytes: int
    engine_memory_limit: str
    report_prefix: str = "reports/"
    glue_database: str = "orders_etl"
    contract: str = DEFAULT_CONTRACT  # a contract file of src/orders_etl/contracts/, by name

    @classmethod
    def from_env(cls) -> PipelineSettings:
        """Read at call time, not import time, so one process can host several configurations."""
        env = os.environ
        return cls(
            data_bucket=env["DATA_BUCKET"],
            raw_prefix=env.get("RAW_PREFIX", "raw/"),
            parquet_prefix=env.get("PARQUET_PREFIX", "parquet_files/orders/"),
            quarantine_prefix=env.get("QUARANTINE_PREFIX", "quarantine/"),
            manifest_prefix=env.get("MANIFEST_PREFIX", "manifests/orders/"),
            crawler_name=env.get("CRAWLER_NAME", "etl_serverless_parquet"),
            crawl_poll_interval_seconds=int(env.get("CRAWL_POLL_INTERVAL_SECONDS", "30")),
            crawl_poll_limit=int(env.get("CRAWL_POLL_LIMIT", "40")),
            max_file_bytes=int(env.get("MAX_FILE_BYTES", str(512 * 1024 * 1024))),
            engine_memory_limit=env.get("ENGINE_MEMORY_LIMIT", "256MB"),
            report_prefix=env.get("REPORT_PREFIX", "reports/"),
            glue_database=env.get("GLUE_DATABASE_NAME", "orders_etl"),
            contract=env.get("CONTRACT", DEFAULT_CONTRACT),
        )

    @property
    def partition_column(self) -> str:
        """The table's partition (its folders: dt=2025-09-01/), as the contract names it."""
        return load_contract(self.contract).partition_column

    def engine(self) -> EngineSettings:
        return EngineSettings(memory_limit=self.engine_memory_limit)

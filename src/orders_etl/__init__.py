"""Serverless ETL for nested JSON order files: contract, flattening and the Lambda-side helpers."""

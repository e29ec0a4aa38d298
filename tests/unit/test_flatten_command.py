"""`orders-etl flatten INPUT OUTPUT_DIR`: exit 0 with counts, 2 with the problem list, 1 for anything else."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orders_etl_cli.main import main


def test_a_good_file_is_written_as_partitions_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["flatten", "events/orders/good_orders.json", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "3 orders (1 without products), 4 rows, 2 partitions" in out
    files = sorted(tmp_path.rglob("*.parquet"))
    assert [f.parent.name for f in files] == ["dt=2025-11-03", "dt=2025-11-04"]
    assert sum(pq.read_metadata(f).num_rows for f in files) == 4


def test_a_bad_file_exits_2_with_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["flatten", "events/orders/bad_orders.json", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "InvalidOrderFile: bad_orders.json: 6 problems" in err
    assert "$[1].products[0].quantity" in err
    assert not (tmp_path / "out").exists()


def test_a_file_over_the_limit_exits_2_and_a_missing_file_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["flatten", "events/orders/good_orders.json", str(tmp_path), "--max-bytes", "100"]) == 2
    assert "FileTooLarge" in capsys.readouterr().err
    assert main(["flatten", str(tmp_path / "missing.json"), str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"error: No such file or directory: {tmp_path / 'missing.json'}\n"


def test_another_contract_writes_its_own_columns_and_a_bad_name_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "market.json"
    source.write_text(
        '[{"order_ref": "M-1", "placed_at": "2025-09-01T10:00:00Z", "currency": "EUR", "buyer": {"buyer_id": 7},'
        ' "items": [{"sku": "S", "unit_price": 1.005, "units": 2}]}]'
    )
    assert main(["flatten", str(source), str(tmp_path / "out"), "--contract", "marketplace_orders"]) == 0
    [written] = (tmp_path / "out").rglob("*.parquet")
    assert written.parent.name == "dt=2025-09-01"
    assert pq.read_schema(written).names[:3] == ["order_ref", "placed_at", "currency"]
    capsys.readouterr()
    assert main(["flatten", str(source), str(tmp_path / "out2"), "--contract", "marketplace"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such contract file" in err[0], err

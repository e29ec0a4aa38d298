"""`orders-etl local start` on a port already in use: one line at once, and the running endpoint left alone."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from orders_etl_cli.local_faults import fault_file
from orders_etl_cli.main import main


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on, as a running `orders-etl local start` does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_busy_port_is_one_line_at_once_and_leaves_the_running_endpoints_faults_and_outputs(
    busy_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the running endpoint's outputs and armed faults beside them
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"EndpointUrl": f"http://127.0.0.1:{busy_port}"}))
    faults = fault_file(outputs)
    faults.write_text('{"orders-etl-FlattenOrdersFunction": {"error": "ConnectionResetError"}}')
    before = (outputs.read_text(), faults.read_text())

    # WHEN a second one is started on that port (on a thread: a hang fails the test instead of the run)
    result: list[int] = []
    start = threading.Thread(
        target=lambda: result.append(main(["local", "start", "--port", str(busy_port), "--outputs", str(outputs)]))
    )
    start.start()
    start.join(timeout=30)

    # THEN it ends with one line saying what to do, exit 1, and the other endpoint's files are as they were
    assert result == [1]
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"error: port {busy_port} is in use (another `orders-etl local start`?): stop it, or pass --port 0 for a free"
        " port"
    ]
    assert (outputs.read_text(), faults.read_text()) == before

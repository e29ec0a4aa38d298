"""Fault injection (src/embedded_aws/faults.py): a function raises a named error for N calls, or until cleared."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from embedded_aws import clock
from embedded_aws.faults import FaultInjector, delay_of, parse_fault, read_fault_file, write_fault_file
from orders_etl_cli.local_faults import describe_faults


def raised(injector: FaultInjector, function: str) -> str | None:
    try:
        injector._before_invoke(function, {})
    except Exception as error:
        return type(error).__name__
    return None


def test_a_counted_fault_fires_that_many_times_for_matching_functions_only() -> None:
    injector = FaultInjector()
    # GIVEN flatten fails twice with a throttling error
    injector.fail("FlattenOrders", "Lambda.TooManyRequestsException", count=2)
    # WHEN functions are invoked THEN only flatten raises, under exactly that name, twice
    assert raised(injector, "orders-etl-ValidateOrderFileFunction") is None
    assert raised(injector, "orders-etl-FlattenOrdersFunction") == "Lambda.TooManyRequestsException"
    assert raised(injector, "orders-etl-FlattenOrdersFunction") == "Lambda.TooManyRequestsException"
    assert raised(injector, "orders-etl-FlattenOrdersFunction") is None
    assert injector.injected == {"orders-etl-FlattenOrdersFunction": 2}


def test_an_uncounted_fault_lasts_until_cleared() -> None:
    injector = FaultInjector()
    injector.fail("Check", "ConnectionError")
    assert [raised(injector, "CheckCrawl") for _ in range(3)] == ["ConnectionError"] * 3
    injector.clear()
    assert raised(injector, "CheckCrawl") is None


@pytest.mark.parametrize("count", [1, 3])
def test_the_injected_error_message_names_the_fault(count: int) -> None:
    injector = FaultInjector()
    injector.fail("F", "SomeSystemError", count=count)
    with pytest.raises(Exception, match="injected fault: SomeSystemError"):
        injector._before_invoke("F", {})


def test_faults_from_a_control_file_are_read_when_it_changes_and_counted_down_in_it(tmp_path: Path) -> None:
    # GIVEN an injector watching a control file that another process writes
    control = tmp_path / "faults.json"
    injector = FaultInjector(control_file=control)
    assert raised(injector, "orders-etl-FlattenOrdersFunction") is None  # no file yet: no fault
    write_fault_file(control, [{"function": "FlattenOrders", "error": "ConnectionError", "remaining": 2}])

    # WHEN the function is called THEN the fault fires, and the file shows what is left
    assert raised(injector, "orders-etl-FlattenOrdersFunction") == "ConnectionError"
    assert read_fault_file(control) == [{"function": "FlattenOrders", "error": "ConnectionError", "remaining": 1}]
    assert raised(injector, "orders-etl-FlattenOrdersFunction") == "ConnectionError"
    assert read_fault_file(control) == []
    assert raised(injector, "orders-etl-FlattenOrdersFunction") is None

    # AND a fault written "until cleared" lasts until the file is emptied
    write_fault_file(control, [{"function": "Check", "error": "ConnectionError", "remaining": None}])
    assert [raised(injector, "CheckCrawl") for _ in range(2)] == ["ConnectionError"] * 2
    write_fault_file(control, [])
    assert raised(injector, "CheckCrawl") is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("FlattenOrders=ConnectionError:3", ("FlattenOrders", "ConnectionError", 3)),
        ("Flatten to Parquet=Lambda.ServiceException", ("Flatten to Parquet", "Lambda.ServiceException", None)),
        ("Validate order file=sleep=1000:1", ("Validate order file", "sleep=1000", 1)),
        ("FlattenOrders=sleep=2.5", ("FlattenOrders", "sleep=2.5", None)),
    ],
)
def test_fault_specs_parse(text: str, parsed: tuple[str, str, int | None]) -> None:
    assert parse_fault(text) == parsed


@pytest.mark.parametrize("text", ["Flatten", "=Error", "F=", "F=E:x", "F=sleep=", "F=sleep=soon", "F=sleep=-1"])
def test_malformed_fault_specs_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected FUNCTION_OR_STATE=ERROR"):
        parse_fault(text)


def test_a_delay_fault_spends_that_time_at_the_clock_s_scale_and_raises_nothing() -> None:
    # GIVEN flatten is made slow for one call (the scale is the session's, or 1.0 outside an embedded AWS)
    injector = FaultInjector()
    injector.delay("FlattenOrders", 0.5, count=1)
    assert delay_of("sleep=0.5") == 0.5 and delay_of("ConnectionError") is None

    # WHEN flatten is called twice
    started = time.monotonic()
    first = raised(injector, "orders-etl-FlattenOrdersFunction")
    took = time.monotonic() - started

    # THEN the first call spent the delay (scaled) and went on to its work; the second was not delayed
    assert first is None
    assert took >= clock.scaled(0.5)
    assert injector.injected == {"orders-etl-FlattenOrdersFunction": 1}
    assert raised(injector, "orders-etl-FlattenOrdersFunction") is None
    assert injector.injected == {"orders-etl-FlattenOrdersFunction": 1}


def test_local_fail_describes_a_delay() -> None:
    faults = [{"function": "orders-etl-ValidateOrderFileFunction", "error": "sleep=1000", "remaining": None}]
    assert describe_faults(faults) == "orders-etl-ValidateOrderFileFunction sleeps 1000 s before its work until cleared"

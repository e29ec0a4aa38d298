"""Fault injection (src/embedded_aws/faults.py): a function raises a named error for N calls, or until cleared."""

from __future__ import annotations

import pytest

from embedded_aws.faults import FaultInjector


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

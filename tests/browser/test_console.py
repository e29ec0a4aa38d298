"""The console in a real browser, on the embedded AWS with the demo's files: the list, an execution's graph coloured
from its history, a state's details, and a redrive from the page after an outage."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions

from orders_etl_console.mermaid_text import STATUS_COLOURS
from support import Stack

DEMO_FILES = Path(__file__).resolve().parents[2] / "events" / "orders"
BAD = "raw/demo/bad_orders.json"
GOOD = "raw/demo/good_orders.json"
Wait = Callable[..., Any]


def demo_files() -> dict[str, bytes]:
    return {f"raw/demo/{path.name}": path.read_bytes() for path in sorted(DEMO_FILES.iterdir())}


def execution_for(stack: Stack, executions: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(execution for execution in executions if stack.source_key(execution) == key)


def open_execution(chrome: webdriver.Chrome, wait_until: Wait, url: str, name: str) -> None:
    chrome.get(f"{url}pipeline/executions/{name}")
    wait_until(chrome, lambda driver: driver.find_element(By.ID, "graph").get_attribute("data-drawn") == "true")


def graph_node(chrome: webdriver.Chrome, state: str) -> WebElement:
    return chrome.find_element(By.CSS_SELECTOR, f'#graph g.node[data-state="{state}"]')


def fill_of(chrome: webdriver.Chrome, node: WebElement) -> str:
    shape = node.find_element(By.CSS_SELECTOR, "rect, polygon, path")
    return str(chrome.execute_script("return getComputedStyle(arguments[0]).fill", shape))


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def rgba(hex_colour: str) -> str:
    return rgb(hex_colour).replace("rgb(", "rgba(").replace(")", ", 1)")


def test_the_list_shows_each_demo_file_with_its_outcome(
    stack: Stack, console_url: str, chrome: webdriver.Chrome, wait_until: Wait, screenshot: Callable[[str], Path]
) -> None:
    # GIVEN the demo's files went through the pipeline
    executions = stack.run(demo_files())
    # WHEN the console's first page opens
    chrome.get(console_url)
    rows = wait_until(chrome, expected_conditions.presence_of_all_elements_located((By.CSS_SELECTOR, "tr.execution")))
    screenshot("executions")
    # THEN each execution is listed, newest first, with its source file and outcome
    shown = {
        row.find_element(By.CSS_SELECTOR, ".source-key").text: (
            row.get_attribute("data-status"),
            row.find_element(By.CSS_SELECTOR, ".failed-state").text,
            row.find_element(By.CSS_SELECTOR, ".error").text,
        )
        for row in rows
    }
    assert shown == {
        BAD: ("FAILED", "Reject the file", "InvalidOrderFile"),
        GOOD: ("SUCCEEDED", "", ""),
        "raw/demo/more_orders.jsonl.gz": ("SUCCEEDED", "", ""),
    }
    # AND each status badge takes its colour from the graph's palette
    for row in rows:
        badge = row.find_element(By.CSS_SELECTOR, ".status .badge")
        palette = "failed" if row.get_attribute("data-status") == "FAILED" else "succeeded"
        assert badge.value_of_css_property("background-color") == rgba(STATUS_COLOURS[palette][0])
    started = [row.find_element(By.CSS_SELECTOR, ".started").text for row in rows]
    assert started == sorted(started, reverse=True) and len(rows) == len(executions)


def test_the_quarantined_files_graph_shows_validate_caught_then_quarantine_and_reject(
    stack: Stack, console_url: str, chrome: webdriver.Chrome, wait_until: Wait, screenshot: Callable[[str], Path]
) -> None:
    # GIVEN the demo's bad file went through the pipeline
    bad = execution_for(stack, stack.run(demo_files()), BAD)
    # WHEN its execution's page opens
    open_execution(chrome, wait_until, console_url, bad["name"])
    # (the whole page's top, header to graph, in one picture: README's docs/images/console-execution.png)
    chrome.set_window_size(1400, 1500)
    try:
        open_execution(chrome, wait_until, console_url, bad["name"])
        screenshot("graph-quarantined-file")
    finally:
        chrome.set_window_size(1400, 1000)
    # THEN the path it took is coloured as the Step Functions console colours it, and the rest is not reached
    expected = {
        "Event names its version?": "succeeded",
        "Validate order file": "caught",
        "Quarantine the file": "succeeded",
        "Reject the file": "failed",
        "Flatten to Parquet": "notreached",
        "Table updated": "notreached",
    }
    for state, status in expected.items():
        node = graph_node(chrome, state)
        assert status in (node.get_attribute("class") or "").split(), state
        assert fill_of(chrome, node) == rgb(STATUS_COLOURS[status][0]), state


def test_clicking_a_state_in_the_graph_shows_its_input_output_and_error(
    stack: Stack, console_url: str, chrome: webdriver.Chrome, wait_until: Wait
) -> None:
    bad = execution_for(stack, stack.run({BAD: (DEMO_FILES / "bad_orders.json").read_bytes()}), BAD)
    open_execution(chrome, wait_until, console_url, bad["name"])
    # WHEN the Validate state is clicked in the graph
    graph_node(chrome, "Validate order file").click()
    # THEN its details show: the input (the S3 event naming the file), the error and its cause
    detail = chrome.find_element(By.CSS_SELECTOR, '.state-detail[data-state="Validate order file"]')
    wait_until(chrome, lambda _: detail.is_displayed())
    assert BAD in detail.find_element(By.CSS_SELECTOR, 'pre[data-field="input"]').text
    assert detail.find_element(By.CSS_SELECTOR, 'pre[data-field="error"]').text == "InvalidOrderFile"
    assert "6 problems" in detail.find_element(By.CSS_SELECTOR, 'pre[data-field="cause"]').text
    # AND only that state's details show; the history lists its events by state
    shown = [
        s.get_attribute("data-state")
        for s in chrome.find_elements(By.CSS_SELECTOR, ".state-detail")
        if s.is_displayed()
    ]
    assert shown == ["Validate order file"]
    history_states = [
        row.find_elements(By.TAG_NAME, "td")[2].text
        for row in chrome.find_elements(By.CSS_SELECTOR, "#history tr.event")
    ]
    assert {"Validate order file", "Quarantine the file", "Reject the file"} <= set(history_states)


def test_a_flatten_outage_redriven_from_the_page_ends_succeeded_with_the_rows_once(
    stack: Stack,
    console_url: str,
    chrome: webdriver.Chrome,
    wait_until: Wait,
    fault_injector: Any,
    screenshot: Callable[[str], Path],
) -> None:
    # GIVEN flatten fails with a system error until the fault is cleared, so the good file's execution FAILED
    fault_injector.fail("FlattenOrders", "ConnectionResetError")
    (failed,) = stack.run({GOOD: (DEMO_FILES / "good_orders.json").read_bytes()})
    assert failed["status"] == "FAILED"
    fault_injector.clear()
    open_execution(chrome, wait_until, console_url, failed["name"])
    assert graph_node(chrome, "Flatten to Parquet").get_attribute("class").split()[-1] == "failed"
    # WHEN the Redrive button is pressed and the confirmation, which names the target, accepted
    chrome.find_element(By.ID, "redrive").click()
    confirmation = wait_until(chrome, expected_conditions.alert_is_present())
    assert failed["name"] in confirmation.text and stack.endpoint_url in confirmation.text
    confirmation.accept()
    # THEN the page says it was redriven, and (refreshing while it runs) ends SUCCEEDED, Flatten visited twice
    wait_until(chrome, lambda driver: "redriven: 1" in driver.find_element(By.ID, "notices").text)
    wait_until(
        chrome,
        lambda driver: driver.find_element(By.CSS_SELECTOR, "h1 .badge").text == "SUCCEEDED",
        timeout=60,
    )
    wait_until(chrome, lambda driver: driver.find_element(By.ID, "graph").get_attribute("data-drawn") == "true")
    screenshot("graph-redriven")
    flatten = chrome.find_element(By.CSS_SELECTOR, 'tr.state[data-state="Flatten to Parquet"]')
    assert flatten.get_attribute("data-status") == "succeeded"
    assert flatten.find_elements(By.TAG_NAME, "td")[3].text == "2"  # visits
    # AND the file's rows are in the table once
    written = json.loads(stack.describe(failed)["output"])["flatten"]["rows"]
    assert written > 0
    assert stack.query(f"SELECT count(*) FROM orders WHERE source_key = '{GOOD}'") == [(written,)]


def test_the_quarantine_page_shows_the_reports_problems_and_leads_to_the_execution(
    stack: Stack, console_url: str, chrome: webdriver.Chrome, wait_until: Wait, screenshot: Callable[[str], Path]
) -> None:
    # GIVEN the demo's bad file went through the pipeline
    bad = execution_for(stack, stack.run({BAD: (DEMO_FILES / "bad_orders.json").read_bytes()}), BAD)
    # WHEN the quarantine page opens and the file's problems are unfolded
    chrome.get(f"{console_url}quarantine")
    row = wait_until(chrome, lambda driver: driver.find_element(By.CSS_SELECTOR, "tr.quarantined"))
    assert row.get_attribute("data-key") == "quarantine/demo/bad_orders.json"
    row.find_element(By.CSS_SELECTOR, "details.problems summary").click()
    problems = row.find_elements(By.CSS_SELECTOR, "table.problems tbody tr")
    screenshot("quarantine")
    # THEN each problem shows with its position, and the first is the impossible date of the first order
    assert len(problems) == 6
    first = [cell.text for cell in problems[0].find_elements(By.TAG_NAME, "td")]
    assert first[:2] == ["$[0].order_date", "order_date"] and first[3] == '"2025-02-30T10:00:00Z"'
    # AND its execution link opens the execution that quarantined it, which links back to the quarantine
    row.find_element(By.CSS_SELECTOR, "a.execution-link").click()
    wait_until(chrome, lambda driver: driver.find_element(By.ID, "graph").get_attribute("data-drawn") == "true")
    assert chrome.current_url.endswith(f"/pipeline/executions/{bad['name']}")
    assert chrome.find_element(By.ID, "to-quarantine").get_attribute("href").endswith("/quarantine")

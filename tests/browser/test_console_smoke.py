"""The console in a browser: its first page opens and says which AWS it acts on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

from support import Stack


def test_the_first_page_names_the_embedded_aws_it_acts_on(
    stack: Stack,
    console_url: str,
    chrome: webdriver.Chrome,
    wait_until: Callable[..., Any],
    screenshot: Callable[[str], Path],
) -> None:
    # GIVEN the console on the test's stack
    # WHEN its first page opens
    chrome.get(console_url)
    target = wait_until(chrome, expected_conditions.presence_of_element_located((By.ID, "target")))
    # THEN it names the endpoint of the embedded AWS it acts on
    screenshot("smoke")
    assert stack.endpoint_url in target.text

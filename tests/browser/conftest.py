"""The console's browser tests: Debian's Chromium driven through its ChromeDriver (`make browser`), the console
serving a test's stack in a thread, and screenshots under test-artifacts/.

Without the browser, the driver or mermaid's bundle (`make console-assets`) the tests skip, saying which target
installs what they lack. Waiting for the page: `wait_until(chrome, condition)`, with any of Selenium's
expected_conditions or a function of the driver, e.g.
`wait_until(chrome, expected_conditions.presence_of_element_located((By.ID, "target")))`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from support import Stack

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MERMAID_JS = REPO / "src" / "orders_etl_console" / "static" / "vendor" / "mermaid.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
# Headless, and nothing the browser would fetch or update on its own: the tests talk to 127.0.0.1 only.
# --no-sandbox: Chromium's sandbox does not start as root or in most containers.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)

T = TypeVar("T")


def wait_until(chrome: webdriver.Chrome, condition: Callable[[Any], T], timeout: float = 20) -> T:
    """What `condition(chrome)` returns once it is truthy; Selenium's TimeoutException after `timeout` seconds."""
    # No page command in the message: it would fail while a confirmation is open.
    return WebDriverWait(chrome, timeout).until(condition, message=f"not within {timeout} s")


@pytest.fixture(name="wait_until")
def wait_until_fixture() -> Callable[..., Any]:
    """`wait_until(chrome, condition, timeout=20)` for tests (a conftest is not a module to import from)."""
    return wait_until


@pytest.fixture(scope="session")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """One headless Chromium per test session (per xdist worker), with a profile of its own; never a browser or a
    driver that Selenium Manager would download: the Service names the driver, so Selenium Manager is not run."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.skip(f"no {' or '.join(missing)}: `make browser` installs Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # A confirmation the console asks for stays open for the test to read and answer (the default dismisses it).
    options.unhandled_prompt_behavior = "ignore"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    except (WebDriverException, OSError) as error:
        # Selenium's message without its "Message: " and the link to its troubleshooting page.
        lines = (getattr(error, "msg", None) or str(error)).strip().splitlines() or [type(error).__name__]
        pytest.skip(f"Chromium did not start through {CHROMEDRIVER}: {lines[0].split('; For documentation')[0]}")
    yield driver
    driver.quit()


@pytest.fixture
def console_assets() -> Path:
    """mermaid's bundle, which the console serves for its execution graphs: fetched by `make console-assets`."""
    if not MERMAID_JS.is_file():
        pytest.skip(f"no {MERMAID_JS.relative_to(REPO)}: `make console-assets` fetches it")
    return MERMAID_JS


@pytest.fixture
def console_url(console_assets: Path, stack: Stack, tmp_path: Path) -> Iterator[str]:
    """The URL of the console (actions allowed) on the test's stack, as `orders-etl console --outputs FILE` sees
    it, served in a thread of this process until the test ends."""
    from console_support import embedded_target
    from orders_etl_console.app import create_app
    from orders_etl_console.server import running_console

    app = create_app(embedded_target(stack, tmp_path), allow_actions=True)
    with running_console(app) as url:
        yield url


@pytest.fixture
def screenshot(chrome: webdriver.Chrome) -> Callable[[str], Path]:
    """`save(name)`: the current page as test-artifacts/screenshots/<name>.png (at the repo's root); its path."""

    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if not chrome.save_screenshot(str(path)):
            raise AssertionError(f"Chromium saved no screenshot at {path}")
        return path

    return save

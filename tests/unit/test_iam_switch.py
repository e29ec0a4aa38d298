"""How IAM enforcement on the embedded AWS is turned off for a quick experiment: on unless asked."""

from __future__ import annotations

import pytest

from embedded_aws.server import IAM_ENV, EmbeddedAws
from orders_etl_cli.main import _parser


@pytest.mark.parametrize(
    ("value", "enforced"), [(None, True), ("on", True), ("off", False), ("OFF", False), ("0", False), ("no", False)]
)
def test_the_environment_variable_turns_enforcement_off_only_when_it_says_so(
    monkeypatch: pytest.MonkeyPatch, value: str | None, enforced: bool
) -> None:
    if value is None:
        monkeypatch.delenv(IAM_ENV, raising=False)
    else:
        monkeypatch.setenv(IAM_ENV, value)
    assert EmbeddedAws().enforce_iam is enforced


def test_local_start_enforces_iam_unless_no_iam_is_given() -> None:
    assert _parser().parse_args(["local", "start"]).no_iam is False
    assert _parser().parse_args(["local", "start", "--no-iam"]).no_iam is True

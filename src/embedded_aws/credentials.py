"""Who may call the embedded AWS: the account's administrator, and the roles the services assume.

People and tools acting as the deployer (the CLI, the demo, the tests, `aws --endpoint-url`) sign with the
administrator's access key below, as someone holding AdministratorAccess would on AWS. The functions, the
state machines, EventBridge and the crawler never use it: they sign with temporary credentials of the role
the template gives them (see `iam_enforcement`), so their permissions are checked as AWS checks them.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

# The README tells users to export these; any other key is refused (InvalidClientTokenId) while IAM is enforced.
ADMIN_ACCESS_KEY_ID = "embedded"
ADMIN_SECRET_ACCESS_KEY = "embedded"


def admin_session(region_name: str = "us-east-1") -> boto3.Session:
    """A boto3 session signing as the embedded account's administrator (never with the caller's real keys)."""
    return boto3.Session(
        aws_access_key_id=ADMIN_ACCESS_KEY_ID, aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY, region_name=region_name
    )


_clients: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


def admin_client(service: str, endpoint_url: str, region_name: str = "us-east-1") -> Any:
    """A client signing as the administrator, made once per endpoint, region and service: making one loads the
    service's model (~0.1 s), and a deploy or a test would otherwise make a dozen. Clients are thread-safe."""
    key = (service, endpoint_url, region_name)
    with _lock:
        if key not in _clients:
            _clients[key] = admin_session(region_name).client(service, endpoint_url=endpoint_url)
        return _clients[key]

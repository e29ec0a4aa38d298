"""Who may call the embedded AWS: the account's administrator, and the roles the services assume.

People and tools acting as the deployer (the CLI, the demo, the tests, `aws --endpoint-url`) sign with the
administrator's access key below, as someone holding AdministratorAccess would on AWS. The functions, the
state machines, EventBridge and the crawler never use it: they sign with temporary credentials of the role
the template gives them (see `iam_enforcement`), so their permissions are checked as AWS checks them.
"""

from __future__ import annotations

import boto3

# The README tells users to export these; any other key is refused (InvalidClientTokenId) while IAM is enforced.
ADMIN_ACCESS_KEY_ID = "embedded"
ADMIN_SECRET_ACCESS_KEY = "embedded"


def admin_session(region_name: str = "us-east-1") -> boto3.Session:
    """A boto3 session signing as the embedded account's administrator (never with the caller's real keys)."""
    return boto3.Session(
        aws_access_key_id=ADMIN_ACCESS_KEY_ID, aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY, region_name=region_name
    )

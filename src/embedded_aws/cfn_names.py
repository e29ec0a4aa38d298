"""Resource names as CloudFormation generates them, and the names AWS refuses.

A resource the template leaves unnamed is called `<stack name>-<logical id>-<12 random characters>`, in lower case
for an S3 bucket. When that is longer than the service allows, CloudFormation keeps the tail and its hyphen and
shares what is left between the stack name and the logical id either side of one more hyphen, the stack name
rounding up and each part taking what the other leaves. AWS documents none of this: the rule reproduces names real
stacks were given (a 26-character stack name gave a bucket `chineseboostanalyticsstac-rainlyticslogsbucket8df4-
hdst4ohfvdif`, 25 + 24 characters in 63, and an IAM role 25 + 25 in 64).

Here the tail is derived from the account, region, stack and logical id instead of drawn at random, so that
redeploying gives the same names; and only buckets get a tail when the name fits (other resources keep the
readable `<stack>-<LogicalId>` the tests and fault injection name them by).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import re

from embedded_aws.cfn_template import ACCOUNT_ID

TAIL_LENGTH = 12
BUCKET = "AWS::S3::Bucket"
# Longest name each service accepts (AWS API references); a longer generated name is shortened.
NAME_LIMITS = {
    BUCKET: 63,
    "AWS::IAM::Role": 64,
    "AWS::Lambda::Function": 64,
    "AWS::Events::Rule": 64,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::SQS::Queue": 80,
    "AWS::SNS::Topic": 256,
    "AWS::CloudWatch::Alarm": 255,
    "AWS::CloudWatch::Dashboard": 255,
    "AWS::Lambda::Permission": 100,  # its statement id
}
# What each service accepts (its API's name pattern and length), checked for every name, given or generated.
_VALID_NAMES = {
    "AWS::IAM::Role": re.compile(r"[\w+=,.@-]{1,64}"),
    "AWS::Lambda::Function": re.compile(r"[a-zA-Z0-9_-]{1,64}"),
    "AWS::Events::Rule": re.compile(r"[.\-_A-Za-z0-9]{1,64}"),
    # Step Functions lists what a name must not contain: white space, brackets, wildcards, "#%\^|~`$&,;:/, controls.
    "AWS::StepFunctions::StateMachine": re.compile(r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}"),
    "AWS::Logs::LogGroup": re.compile(r"[.\-_/#A-Za-z0-9]{1,512}"),
    "AWS::Athena::WorkGroup": re.compile(r"[a-zA-Z0-9._-]{1,128}"),
    "AWS::SQS::Queue": re.compile(r"[A-Za-z0-9_-]{1,75}(\.fifo)?|[A-Za-z0-9_-]{1,80}"),
    "AWS::SNS::Topic": re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo|[A-Za-z0-9_-]{1,256}"),
    # PutMetricAlarm: UTF-8 without ASCII control characters; PutDashboard: "alphanumerics, dash (-), and underscore".
    "AWS::CloudWatch::Alarm": re.compile(r"[^\x00-\x1f\x7f]{1,255}"),
    "AWS::CloudWatch::Dashboard": re.compile(r"[A-Za-z0-9_-]{1,255}"),
}
# S3's general purpose bucket naming rules.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")


# CreateStack: "must start with an alphabetic character and can't be longer than 128 characters"; letters, digits, -.
_STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")


class InvalidName(ValueError):
    """A name AWS would refuse: CreateStack refuses the stack name; a resource's fails (and rolls back) the stack."""


def check_stack_name(stack_name: str) -> None:
    if not _STACK_NAME.fullmatch(stack_name):
        raise InvalidName(f"stack name {stack_name!r} does not match {_STACK_NAME.pattern}")


def generated_name(kind: str, stack_name: str, logical_id: str, region: str) -> str:
    """The name CloudFormation gives a resource of type `kind` whose template gives it none."""
    limit = NAME_LIMITS.get(kind)
    name = f"{stack_name}-{logical_id}"
    if kind == BUCKET or (limit is not None and len(name) > limit):
        tail = _tail(f"{ACCOUNT_ID}:{region}:{name}")
        if limit is not None and len(name) + 1 + len(tail) > limit:
            stack_part, logical_part = _shares(len(stack_name), len(logical_id), limit - len(tail) - 2)
            name = f"{stack_name[:stack_part]}-{logical_id[:logical_part]}"
        name = f"{name}-{tail}"
    return name.lower() if kind == BUCKET else name


def check_name(kind: str, name: str) -> None:
    """Raise InvalidName for a name the service refuses (S3's bucket rules; the others' API patterns)."""
    if kind == BUCKET:
        problem = _bucket_name_problem(name)
        if problem:
            raise InvalidName(f"bucket name {name!r}: {problem}")
    elif kind in _VALID_NAMES and not _VALID_NAMES[kind].fullmatch(name):
        raise InvalidName(f"{kind} name {name!r} does not match {_VALID_NAMES[kind].pattern}")


def _bucket_name_problem(name: str) -> str | None:
    if not _BUCKET_NAME.fullmatch(name):
        return "3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if ".." in name:
        return "two adjacent dots"
    if name.startswith(_RESERVED_BUCKET_PREFIXES) or name.endswith(_RESERVED_BUCKET_SUFFIXES):
        return "a reserved prefix or suffix"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return None
    return "formatted as an IP address"


def _shares(stack_length: int, logical_length: int, budget: int) -> tuple[int, int]:
    """How many characters of the stack name and of the logical id fit in `budget`."""
    stack_part = max(math.ceil(budget / 2), budget - logical_length)
    logical_part = max(budget - stack_part, budget - stack_length)
    return min(stack_part, stack_length), min(logical_part, logical_length)


def _tail(seed: str) -> str:
    """12 characters in place of CloudFormation's random ones: letters and digits, the same for the same seed."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:TAIL_LENGTH]

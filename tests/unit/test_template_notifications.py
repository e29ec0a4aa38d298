"""template.yaml's notifications, alarms and dashboard, read from the file: the email subscription is optional, the
alarms send nothing, and every metric they and the dashboard name is one the functions emit (metric_names)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from embedded_aws.cfn_template import load_template
from orders_etl import metric_names

TEMPLATE = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
ALARMS = {name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def service_of(function: str) -> str:
    return str(RESOURCES[function]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"])


def test_the_email_subscription_exists_only_when_an_address_is_given() -> None:
    assert TEMPLATE["Parameters"]["NotificationEmail"]["Default"] == ""
    assert TEMPLATE["Conditions"]["HasNotificationEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "NotificationEmail"}, ""]}]
    }
    subscription = RESOURCES["NotificationEmailSubscription"]
    assert subscription["Condition"] == "HasNotificationEmail"
    assert subscription["Properties"]["Protocol"] == "email"


def test_no_alarm_notifies_the_topic_each_failure_already_sends_one_message() -> None:
    assert set(ALARMS) == {"PipelineExecutionsFailedAlarm", "BackfillExecutionsFailedAlarm", "FilesQuarantinedAlarm"}
    for alarm in ALARMS.values():
        assert not {"AlarmActions", "OKActions", "InsufficientDataActions"} & set(alarm)
        assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
            "Sum",
            1,
            "GreaterThanOrEqualToThreshold",
        )
        assert alarm["TreatMissingData"] == "notBreaching"


def test_the_functions_emit_metrics_in_the_namespace_the_alarms_and_dashboard_read() -> None:
    namespace = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    assert namespace == metric_names.NAMESPACE
    assert metric_names.EMITTED_BY[metric_names.FILES_QUARANTINED] == service_of("QuarantineOrderFileFunction")
    assert metric_names.EMITTED_BY[metric_names.FILES_PUBLISHED] == service_of("FlattenOrdersFunction")
    assert metric_names.EMITTED_BY[metric_names.ROWS_WRITTEN] == service_of("FlattenOrdersFunction")


def test_every_custom_metric_the_alarms_and_the_dashboard_name_is_emitted_with_its_service_dimension() -> None:
    named = [
        (a["Namespace"], a["MetricName"], a["Dimensions"][0]["Name"], a["Dimensions"][0]["Value"])
        for a in ALARMS.values()
    ]
    body = json.loads(
        re.sub(r"\$\{[^}]+\}", "x", RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    )
    named += [tuple(m[:4]) for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    custom = {m for m in named if m[0] == metric_names.NAMESPACE}
    assert custom == {
        (metric_names.NAMESPACE, metric, "service", service) for metric, service in metric_names.EMITTED_BY.items()
    }


def test_the_handlers_name_their_metrics_from_metric_names() -> None:
    root = Path(__file__).resolve().parents[2] / "functions"
    for handler in ("flatten_orders", "quarantine_order_file"):
        source = (root / handler / "app.py").read_text()
        assert "from orders_etl.metric_names import" in source
        assert not re.search(r'add_metric\(name="', source), handler

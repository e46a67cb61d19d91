"""Deciding what to apply and what to prune."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from voiceagent_operator import drift
from voiceagent_operator.children import render_children

from tests.unit.operator.operator_samples import agent_of, spec_of


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        ("1Gi", Decimal(2**30)),
        ("1G", Decimal(10**9)),
        (2, Decimal(2)),
        ("1e3", Decimal(1000)),
        ("25%", None),
        ("abc", None),
        (True, None),
        (None, None),
    ],
)
def test_quantity(text: Any, value: Decimal | None) -> None:
    assert drift.quantity(text) == value


def test_matches_ignores_server_defaults_but_not_changes() -> None:
    desired = {"spec": {"replicas": 2, "resources": {"cpu": "500m"}, "ports": [{"port": 1}]}}
    live = {
        "spec": {
            "replicas": 2,
            "resources": {"cpu": "0.5"},
            "ports": [{"port": 1, "protocol": "TCP"}],
            "clusterIP": "10.0.0.1",
        },
        "status": {},
    }
    assert drift.matches(desired, live)
    assert not drift.matches(desired, {**live, "spec": {**live["spec"], "replicas": 3}})
    assert not drift.matches(desired, {**live, "spec": {**live["spec"], "ports": []}})
    assert not drift.matches({"a": "1"}, {"a": 1.5})


def owned(obj: dict[str, Any], uid: str) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"]["ownerReferences"][0]["uid"] = uid
    return obj


def test_plan(minimal: dict[str, Any]) -> None:
    agent = agent_of(minimal)
    desired = render_children(agent, spec_of(minimal), "img")
    live = copy.deepcopy(desired)
    assert not drift.plan(desired, live, agent.uid).apply

    deployment = next(obj for obj in live if obj["kind"] == "Deployment")
    deployment["spec"]["replicas"] = 7  # the HPA's decision: not drift
    assert not drift.plan(desired, live, agent.uid).apply
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:latest"
    removed = live.pop(0)
    orphan = owned(next(obj for obj in live if obj["kind"] == "Service"), agent.uid)
    orphan["metadata"]["name"] = "leibniz-old"
    foreign = owned(orphan, "someone-else")
    foreign["metadata"]["name"] = "leibniz-foreign"
    job = owned(orphan, agent.uid) | {"kind": "Job", "apiVersion": "batch/v1"}
    plan = drift.plan(desired, [*live, orphan, foreign, job], agent.uid)
    assert plan.missing == [drift.key_of(removed)]
    assert plan.drifted == [drift.key_of(deployment)]
    assert [drift.key_of(obj) for obj in plan.apply] == [drift.key_of(removed), drift.key_of(deployment)]
    assert [drift.key_of(obj) for obj in plan.delete] == [("Service", "leibniz-old")]

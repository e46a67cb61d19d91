"""Fixtures of the operator's unit tests: the sample VoiceAgents shipped in k8s/samples/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.operator.operator_samples import load_sample


@pytest.fixture()
def minimal() -> dict[str, Any]:
    return load_sample("minimal")


@pytest.fixture()
def full() -> dict[str, Any]:
    return load_sample("full")

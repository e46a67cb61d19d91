"""The sample VoiceAgents shipped in k8s/samples/, as the operator's unit tests use them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from voiceagent_operator import meta
from voiceagent_operator.spec import VoiceAgentSpec, parse_spec

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / "k8s" / "samples"


def load_sample(name: str) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load((SAMPLES / f"{name}.yaml").read_text())
    body["metadata"].setdefault("namespace", "default")
    body["metadata"].update(uid=f"uid-{name}", generation=1)
    return body


def agent_of(body: dict[str, Any]) -> meta.AgentRef:
    return meta.AgentRef(body["metadata"]["name"], body["metadata"]["namespace"], body["metadata"]["uid"])


def spec_of(body: dict[str, Any], **changes: Any) -> VoiceAgentSpec:
    raw = copy.deepcopy(body["spec"])
    raw.update(changes)
    return parse_spec(body["metadata"]["name"], raw)

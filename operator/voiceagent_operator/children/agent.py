"""Per-agent children: the configuration ConfigMap and the pods' ServiceAccount."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from voiceagent_operator import meta
from voiceagent_operator.spec import VoiceAgentSpec

BOOKING_KEY = "booking.yaml"
INTENTS_KEY = "intents.yaml"
VOICE_KEY = "voice.yaml"

CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "intent": (INTENTS_KEY,),
    "tts": (VOICE_KEY,),
    "fsm": (BOOKING_KEY,),
}
"""Which files of the ConfigMap each component reads: only those roll its pods when they change."""


def service_account_name(agent: meta.AgentRef) -> str:
    return f"{agent.name}-voiceagent"


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)


DAY_NAMES = {
    "mon": "monday",
    "tue": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}


def booking_rules(spec: VoiceAgentSpec) -> dict[str, Any]:
    """The fsm's rules file (``services/fsm/rules.py`` rejects unknown keys).

    ``cancellationHours`` is not written: the fsm does not enforce cancellations yet.
    """
    booking = spec.booking
    return {
        "timezone": booking.timezone,
        "days": [DAY_NAMES[day] for day in booking.days],
        "opens": booking.open_time,
        "closes": booking.close_time,
        "slot_minutes": booking.slot_minutes,
        "max_days_ahead": booking.horizon_days,
    }


def config_data(spec: VoiceAgentSpec) -> dict[str, str]:
    data = {
        BOOKING_KEY: _dump(booking_rules(spec)),
        VOICE_KEY: _dump({"voice": spec.voice, "language": spec.language, "stt_model": spec.stt_model}),
    }
    if spec.intents is not None:
        data[INTENTS_KEY] = _dump(spec.intents)
    return data


def checksum(data: Any) -> str:
    """Short, stable digest of any JSON-serialisable value."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def config_checksum(data: dict[str, str], component: str) -> str:
    """Digest of the ConfigMap files ``component`` reads, for the pod-template annotation."""
    return checksum({key: data.get(key) for key in CONFIG_KEYS.get(component, ())})


def render_config_map(agent: meta.AgentRef, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta.object_meta(agent, meta.config_map_name(agent), meta.AGENT_COMPONENT),
        "data": data,
    }


def render_service_account(agent: meta.AgentRef) -> dict[str, Any]:
    # The services never call the Kubernetes API: no token is mounted into their pods.
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta.object_meta(agent, service_account_name(agent), meta.AGENT_COMPONENT),
        "automountServiceAccountToken": False,
    }

"""Pure rendering of every child object of a VoiceAgent (no cluster, no I/O)."""

from __future__ import annotations

from typing import Any

from voiceagent_operator import kinds, meta
from voiceagent_operator.children.agent import (
    config_checksum,
    config_data,
    render_config_map,
    render_service_account,
)
from voiceagent_operator.children.deployment import render_deployment
from voiceagent_operator.children.network import render_network_policy
from voiceagent_operator.children.reindex import reindex_job_name, render_reindex_job
from voiceagent_operator.children.scaling import render_hpa, render_pdb
from voiceagent_operator.children.services import render_services
from voiceagent_operator.spec import VoiceAgentSpec

__all__ = ["reindex_job_name", "render_children", "render_reindex_job"]


def render_children(agent: meta.AgentRef, spec: VoiceAgentSpec, default_image: str) -> list[dict[str, Any]]:
    """Every long-lived child the agent should have, in apply order.

    Disabled components simply have no children here; the reconciler prunes
    what exists but is no longer rendered.
    """
    data = config_data(spec)
    children: list[dict[str, Any]] = [render_service_account(agent), render_config_map(agent, data)]
    for component in spec.components.enabled():
        settings = spec.components.get(component)
        children += render_services(agent, component)
        if spec.network_policy.enabled:
            children.append(render_network_policy(agent, spec, component))
        children.append(render_deployment(agent, spec, component, default_image, config_checksum(data, component)))
        if settings.autoscaling.enabled:
            children.append(render_hpa(agent, component, settings.autoscaling))
        children.append(render_pdb(agent, component))
    return sorted(children, key=kinds.apply_rank)

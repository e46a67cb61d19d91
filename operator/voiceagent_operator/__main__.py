"""``python -m voiceagent_operator``: run the operator (settings from ``VA_OPERATOR_*``)."""

from __future__ import annotations

import random

import kopf

from voiceagent_operator.config import OperatorConfig
from voiceagent_operator.handlers import build_operator


def main() -> None:
    config = OperatorConfig()
    kopf.configure(
        verbose=config.log_level == "DEBUG",
        quiet=config.log_level in ("WARNING", "ERROR"),
        log_format=kopf.LogFormat.JSON if config.log_json else kopf.LogFormat.FULL,
    )
    operator = build_operator(config)
    # Peers with the same priority would all stay active; distinct random ones leave exactly one in charge.
    priority = config.priority if config.priority is not None else random.SystemRandom().randint(1, 2**31 - 1)
    kopf.run(
        registry=operator.registry,
        settings=operator.settings,
        clusterwide=not config.namespaces,
        namespaces=config.namespaces,
        standalone=not config.peering,
        peering_name=config.peering or None,
        priority=priority,
        liveness_endpoint=config.liveness_endpoint or None,
    )


if __name__ == "__main__":
    main()

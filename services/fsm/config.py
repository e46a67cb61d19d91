"""Settings of the fsm service (environment variables prefixed VA_)."""

from services.common.config import ServiceSettings


class FsmSettings(ServiceSettings):
    """fsm service settings; see services/common/config.py for the shared fields."""

"""Settings of the intent service (environment variables prefixed VA_)."""

from services.common.config import ServiceSettings


class IntentSettings(ServiceSettings):
    """intent service settings; see services/common/config.py for the shared fields."""

"""Settings of the stt service (environment variables prefixed VA_)."""

from services.common.config import ServiceSettings


class SttSettings(ServiceSettings):
    """stt service settings; see services/common/config.py for the shared fields."""

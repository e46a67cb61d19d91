"""Settings of the tts service (environment variables prefixed VA_)."""

from services.common.config import ServiceSettings


class TtsSettings(ServiceSettings):
    """tts service settings; see services/common/config.py for the shared fields."""

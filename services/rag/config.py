"""Settings of the rag service (environment variables prefixed VA_)."""

from services.common.config import ServiceSettings


class RagSettings(ServiceSettings):
    """rag service settings; see services/common/config.py for the shared fields."""

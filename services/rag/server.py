"""gRPC transport of the rag service."""

from services.common.config import load_settings
from services.common.server import Runtime, run_service
from services.rag.config import RagSettings


def main() -> None:
    settings = load_settings(RagSettings)

    async def build() -> Runtime:
        return Runtime(registrations=[])

    run_service("rag", settings, build)

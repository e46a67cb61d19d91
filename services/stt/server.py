"""gRPC transport of the stt service."""

from services.common.config import load_settings
from services.common.server import Runtime, run_service
from services.stt.config import SttSettings


def main() -> None:
    settings = load_settings(SttSettings)

    async def build() -> Runtime:
        return Runtime(registrations=[])

    run_service("stt", settings, build)

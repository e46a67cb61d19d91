"""gRPC transport of the tts service."""

from services.common.config import load_settings
from services.common.server import Runtime, run_service
from services.tts.config import TtsSettings


def main() -> None:
    settings = load_settings(TtsSettings)

    async def build() -> Runtime:
        return Runtime(registrations=[])

    run_service("tts", settings, build)

"""gRPC transport of the intent service."""

from services.common.config import load_settings
from services.common.server import Runtime, run_service
from services.intent.config import IntentSettings


def main() -> None:
    settings = load_settings(IntentSettings)

    async def build() -> Runtime:
        return Runtime(registrations=[])

    run_service("intent", settings, build)

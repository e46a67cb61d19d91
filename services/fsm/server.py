"""gRPC transport of the fsm service."""

from services.common.config import load_settings
from services.common.server import Runtime, run_service
from services.fsm.config import FsmSettings


def main() -> None:
    settings = load_settings(FsmSettings)

    async def build() -> Runtime:
        return Runtime(registrations=[])

    run_service("fsm", settings, build)

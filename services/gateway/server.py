"""Process entry point of the gateway: uvicorn serving the FastAPI app."""

import uvicorn

from services.common.config import load_settings
from services.common.logs import configure_logging
from services.common.telemetry import configure_tracing
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings


def main() -> None:
    settings = load_settings(GatewaySettings)
    configure_logging("gateway", settings.log_level, settings.log_json)
    configure_tracing("gateway", settings.otel_endpoint)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.http_port, log_config=None,
                timeout_graceful_shutdown=int(settings.shutdown_grace_s))

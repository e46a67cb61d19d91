"""Process entry point of the gateway: uvicorn serving the FastAPI app, metrics on their own port too."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from services.common.config import load_settings
from services.common.errors import BackendUnavailable
from services.common.logs import configure_logging
from services.common.stores import connect_redis
from services.common.telemetry import configure_tracing, start_metrics_server
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings

log = logging.getLogger(__name__)


async def _check_redis(url: str) -> None:
    """Fail fast with one readable line when the session store is unreachable."""
    client = await connect_redis(url)
    await client.aclose()


def main() -> None:
    settings = load_settings(GatewaySettings)
    configure_logging("gateway", settings.log_level, settings.log_json)
    configure_tracing("gateway", settings.otel_endpoint)
    if not settings.key_hashes():
        log.warning(
            "AUTHENTICATION IS DISABLED: VA_API_KEYS is empty, so anyone who can reach this gateway "
            "can use it. Set VA_API_KEYS=name:sha256hex,... outside local development."
        )
    try:
        asyncio.run(_check_redis(settings.redis_url))
    except BackendUnavailable as error:
        log.error("cannot start", extra={"reason": error.message})
        raise SystemExit(f"gateway: cannot start: {error.message}") from None
    metrics_port = start_metrics_server(settings.host, settings.metrics_port)
    log.info("metrics", extra={"metrics_port": metrics_port, "http_port": settings.http_port})
    # No access log: request lines carry query strings (a WebSocket may pass its key there);
    # the app counts requests by route template instead.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.http_port,
        timeout_keep_alive=settings.http_keep_alive_s,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
    )

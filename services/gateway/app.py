"""FastAPI application of the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.clients import make_channel
from services.gateway.config import GatewaySettings
from services.gateway.health import check_downstream


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.channels = {name: make_channel(target) for name, target in settings.downstream_targets().items()}
        yield
        for channel in app.state.channels.values():
            await channel.close()

    app = FastAPI(title="VoiceAgent gateway", version="0.1.0", lifespan=lifespan)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> JSONResponse:
        statuses = await check_downstream(app.state.channels)
        ok = all(status == "SERVING" for status in statuses.values())
        return JSONResponse({"ready": ok, "downstream": statuses}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["health"])
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app

"""Readiness of the gateway's downstream services through the standard gRPC health service."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


async def check_downstream(channels: dict[str, grpc.aio.Channel], timeout_s: float = 1.0) -> dict[str, str]:
    """Health status name per downstream service (SERVING, NOT_SERVING or UNREACHABLE)."""

    async def one(channel: grpc.aio.Channel) -> str:
        try:
            response = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout_s
            )
        except grpc.aio.AioRpcError:
            return "UNREACHABLE"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))

    names = list(channels)
    statuses = await asyncio.gather(*(one(channels[name]) for name in names))
    return dict(zip(names, statuses, strict=True))

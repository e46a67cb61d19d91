"""Settings of the fsm service (environment variables prefixed VA_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.common.config import ServiceSettings


class FsmSettings(ServiceSettings):
    """fsm service settings; see services/common/config.py for the shared fields."""

    mongo_url: str = Field(
        "mongodb://localhost:27017", description="MongoDB URL; appointments live in the database named after the agent"
    )
    booking_rules_file: Path | None = Field(
        None,
        description="YAML file with this agent's booking rules "
        "(opening days and hours, slot length, horizon); empty = defaults",
    )
    state_ttl_s: int = Field(
        1800,
        ge=60,
        le=7 * 24 * 3600,
        description="How long an idle booking dialogue is kept in Redis; refreshed on every turn",
    )
    mongo_timeout_s: float = Field(
        1.5,
        gt=0,
        le=30,
        description="Deadline of one MongoDB operation; a "
        "confirmation that misses it fails with UNAVAILABLE and keeps the dialogue",
    )
    lock_timeout_s: float = Field(
        5.0,
        gt=0,
        le=60,
        description="Longest a turn may hold its session lock (and "
        "how long a concurrent turn of the same session waits for it)",
    )

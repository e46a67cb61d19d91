"""Settings of the gateway (environment variables prefixed VA_)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from services.common.config import ServiceSettings

_KEY_ENTRY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}:[0-9a-f]{64}$")


class GatewaySettings(ServiceSettings):
    """Gateway settings; see services/common/config.py for the shared fields."""

    http_port: int = Field(8080, ge=0, le=65535, description="HTTP/WebSocket port")
    http_keep_alive_s: int = Field(
        75,
        ge=1,
        le=3600,
        description="How long an idle HTTP keep-alive connection stays open; longer than load balancers' idle "
        "timeouts (60 s on many), so that the balancer, not the gateway, closes idle connections",
    )
    stt_target: str = Field("dns:///stt-headless:50051", description="gRPC target of the stt service")
    intent_target: str = Field("dns:///intent-headless:50051", description="gRPC target of the intent service")
    rag_target: str = Field("dns:///rag-headless:50051", description="gRPC target of the rag service")
    tts_target: str = Field("dns:///tts-headless:50051", description="gRPC target of the tts service")
    fsm_target: str = Field("dns:///fsm-headless:50051", description="gRPC target of the fsm service")

    # --- security -------------------------------------------------------------------------------
    api_keys: str = Field(
        "",
        description="Comma-separated 'name:sha256hex' entries (SHA-256 of each API key, from a Secret). "
        "Empty disables authentication (local development only; a warning is logged at start)",
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests (REST calls and WebSocket connects) per API key per minute; 0 = unlimited"
    )
    max_concurrent_sessions_per_key: int = Field(
        20, ge=1, description="Live WebSocket conversations one API key may hold at a time"
    )
    allow_session_clock: bool = Field(
        False, description="Let clients set a session's reference clock ('now') at creation, for evaluations"
    )

    # --- limits ---------------------------------------------------------------------------------
    max_frame_bytes: int = Field(
        32_000,
        ge=320,
        le=1_048_576,
        description="Largest binary audio frame accepted on the WebSocket (32000 B = 1 s of 16 kHz PCM16)",
    )
    max_control_message_bytes: int = Field(
        4_096, ge=256, le=65_536, description="Largest JSON control message accepted on the WebSocket"
    )
    max_message_chars: int = Field(1_000, ge=1, le=20_000, description="Longest text chat message (characters)")
    max_session_s: float = Field(
        1_800.0, gt=0, description="Longest WebSocket conversation (seconds); the socket is closed after it"
    )
    max_history_turns: int = Field(200, ge=1, description="History entries kept per session (oldest dropped)")
    session_ttl_s: int = Field(3_600, ge=60, description="Idle lifetime of a session in Redis; every turn renews it")

    # --- conversation ---------------------------------------------------------------------------
    endpoint_silence_ms: int = Field(
        0, ge=0, le=5_000, description="Silence that ends an utterance, sent to stt; 0 = the stt service default"
    )
    draft_replies: bool = Field(
        True,
        description="Draft each reply (and synthesize its audio) from the tentative transcript while the "
        "endpointing silence runs, so it starts as soon as the utterance ends; costs some CPU when callers pause "
        "and go on speaking",
    )
    audio_lead_ms: int = Field(
        400,
        ge=0,
        le=10_000,
        description="How far reply audio may run ahead of real-time playback; barge-in can cut only what is "
        "not yet sent (clients may ask for unpaced audio)",
    )
    voice: str = Field("", description="TTS voice; empty = the tts service default")

    # --- downstream deadlines and breakers ------------------------------------------------------
    intent_timeout_s: float = Field(1.0, gt=0, description="Deadline of one intent Classify call")
    rag_timeout_s: float = Field(3.0, gt=0, description="Deadline of one rag Query call")
    fsm_timeout_s: float = Field(3.0, gt=0, description="Deadline of one fsm call")
    tts_timeout_s: float = Field(20.0, gt=0, description="Deadline of one tts call (a whole streamed reply)")
    breaker_failures: int = Field(5, ge=1, description="Consecutive failures that open a downstream's breaker")
    breaker_reset_s: float = Field(5.0, gt=0, description="How long an open breaker waits before a trial call")

    @field_validator("api_keys")
    @classmethod
    def _well_formed_keys(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            if not _KEY_ENTRY.match(entry):
                # Never echo the entry: it is a secret's hash, but still keep it out of logs.
                raise ValueError("each entry must be 'name:<64 lowercase hex chars of sha256(key)>'")
        return value

    def downstream_targets(self) -> dict[str, str]:
        return {
            "stt": self.stt_target,
            "intent": self.intent_target,
            "rag": self.rag_target,
            "tts": self.tts_target,
            "fsm": self.fsm_target,
        }

    def key_hashes(self) -> dict[str, str]:
        """sha256 hex → key name."""
        entries = filter(None, (part.strip() for part in self.api_keys.split(",")))
        return {digest: name for name, digest in (entry.split(":", 1) for entry in entries)}

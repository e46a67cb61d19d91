"""Request and response models of the REST API and the WebSocket control messages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.gateway.ports import OutputFormat

INPUT_RATES = (8_000, 16_000, 48_000)
OUTPUT_RATES = {"pcm16": (8_000, 16_000, 22_050, 24_000), "mulaw": (8_000,)}


class ErrorResponse(BaseModel):
    detail: str = Field(description="Human-readable reason")


class CreateSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    now: str | None = Field(
        None,
        description="Reference clock of the session (ISO 8601 local time, e.g. 2026-03-02T10:00:00); it "
        "advances in real time from creation. Accepted only when the deployment sets VA_ALLOW_SESSION_CLOCK=true",
        examples=["2026-03-02T10:00:00"],
    )


class SessionResponse(BaseModel):
    session_id: str
    created_at: str = Field(description="Creation time, ISO 8601 UTC")
    now: str | None = Field(description="The session's current reference time, if it has its own clock")
    turns: int = Field(description="Turns taken so far")
    booking_state: str = Field(description="State of the booking flow ('' when none was started)")
    expecting: str = Field(description="Slot the booking flow waits for ('' when none)")
    expires_in_s: int = Field(description="Idle lifetime; every turn renews it")
    conversation_path: str = Field(description="WebSocket path of the voice conversation")


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["caller", "agent"]
    text: str
    at: float = Field(description="Unix time")
    intent: str | None = None
    route: str | None = None
    channel: str | None = None
    sources: list[str] | None = None
    booking_state: str | None = None


class HistoryResponse(BaseModel):
    session_id: str
    entries: list[HistoryEntry]


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="What the caller says (plain text)")
    audio: bool = Field(False, description="Also synthesize the reply and return a download URL for it")
    voice: str = Field("", description="TTS voice for the audio reply; empty = the default voice")


class SourceModel(BaseModel):
    document: str
    section: str
    category: str
    score: float
    snippet: str = ""


class BookingModel(BaseModel):
    state: str = Field(description="INITIAL_GREETING, WAITING_FOR_DATE, ..., COMPLETED, CANCELLED, HANDOFF")
    expecting: str
    slots: dict[str, str]
    appointment: dict[str, str] | None = Field(description="The booked appointment once COMPLETED")
    rejected: bool = Field(description="The turn's value was refused")
    rejection_reason: str = ""


class MessageResponse(BaseModel):
    reply: str = Field(description="The agent's answer, speakable text")
    route: str = Field(description="booking, knowledge, side_question, template or fallback")
    intent: str
    confidence: float
    entities: dict[str, str]
    sources: list[SourceModel]
    booking: BookingModel | None
    timings: dict[str, float] = Field(description="Milliseconds per stage (intent, rag, fsm, turn, tts)")
    degraded: list[str] = Field(description="Services that were unavailable for this reply")
    audio_url: str | None = Field(None, description="Presigned URL of the spoken reply (WAV) when requested")
    audio_duration_ms: float | None = None


class LiveResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    ready: bool = Field(description="The gateway can serve (its session store answers)")
    status: Literal["ready", "degraded", "unavailable"] = Field(
        description="degraded: serving, but some downstream service is not SERVING"
    )
    redis: str = Field(description="ok or unreachable")
    downstream: dict[str, str] = Field(description="gRPC health per service: SERVING, NOT_SERVING or UNREACHABLE")
    auth: Literal["enabled", "disabled"]


# --- WebSocket control messages (JSON text frames) ----------------------------------------------


class OutputFormatModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    encoding: Literal["pcm16", "mulaw"] = "pcm16"
    sample_rate_hz: int = 16_000

    @model_validator(mode="after")
    def _supported(self) -> OutputFormatModel:
        if self.sample_rate_hz not in OUTPUT_RATES[self.encoding]:
            rates = ", ".join(map(str, OUTPUT_RATES[self.encoding]))
            raise ValueError(f"{self.encoding} output supports sample rates {rates}")
        return self

    def to_format(self) -> OutputFormat:
        return OutputFormat(self.encoding, self.sample_rate_hz)


class ConfigMessage(BaseModel):
    """Optional first message of a conversation: formats and reply options."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["config"]
    sample_rate_hz: Literal[8_000, 16_000, 48_000] = Field(16_000, description="Input PCM16 mono sample rate")
    output: OutputFormatModel = Field(default_factory=OutputFormatModel)
    voice: str = ""
    audio_replies: bool = Field(True, description="false: text events only, no reply audio")
    pace_output: bool = Field(True, description="false: send reply audio as fast as it is made (file clients)")
    partials: bool = Field(
        True,
        description="false: no partial transcripts (a telephony bridge shows no captions; saves recognizer CPU)",
    )


class TextMessage(BaseModel):
    """A typed caller turn inside a voice conversation."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str = Field(min_length=1)


class EndMessage(BaseModel):
    """The caller hangs up; the server closes the socket after in-flight replies are cancelled."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["end"]


ClientMessage = Annotated[ConfigMessage | TextMessage | EndMessage, Field(discriminator="type")]

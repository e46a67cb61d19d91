"""What the conversation engine needs from the downstream services, as plain Python.

The engine and the voice conversation depend only on these Protocols and value
types; ``adapters.py`` implements them over gRPC and the unit tests with small
in-memory fakes.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class IntentResult:
    intent: str
    confidence: float
    entities: dict[str, str] = field(default_factory=dict)
    method: str = ""
    enriched_query: str = ""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    document: str
    section: str
    category: str
    score: float
    snippet: str = ""


@dataclass(frozen=True)
class Answer:
    text: str
    found: bool
    confidence: float
    sources: tuple[Source, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BookingTurn:
    """The booking flow after one turn; ``reply`` is what the agent says."""

    reply: str
    state: str
    expecting: str = ""
    slots: dict[str, str] = field(default_factory=dict)
    appointment: dict[str, str] = field(default_factory=dict)
    rejected: bool = False
    rejection_reason: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """The flow waits for a slot (or the read-back's yes), so it owns the next turn."""
        return bool(self.expecting)


@dataclass(frozen=True)
class OutputFormat:
    encoding: str = "pcm16"  # pcm16, mulaw or wav
    sample_rate_hz: int = 16_000

    @property
    def bytes_per_second(self) -> int:
        return self.sample_rate_hz * (1 if self.encoding == "mulaw" else 2)


@dataclass(frozen=True)
class AudioPiece:
    """One streamed piece of synthesized speech (one sentence, usually)."""

    audio: bytes
    sentence_index: int
    text: str
    last: bool = False
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SpeechEvent:
    """An event of the streaming recognizer.

    ``kind``: speech_started, partial, tentative (the final unless the caller goes on
    speaking), speech_resumed (withdraws the tentative), final or speech_ended.
    """

    kind: str
    text: str = ""
    utterance_index: int = 0
    offset_ms: float = 0.0
    confidence: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SynthesizedUrl:
    url: str
    duration_ms: float


class IntentPort(Protocol):
    async def classify(
        self, text: str, session_id: str, previous_intent: str, expecting: str, now: str
    ) -> IntentResult: ...


class KnowledgePort(Protocol):
    async def query(self, text: str, session_id: str) -> Answer: ...


class BookingPort(Protocol):
    async def start(self, session_id: str, text: str, now: str) -> BookingTurn: ...

    async def process_turn(
        self, session_id: str, text: str, now: str, intent: str, entities: dict[str, str]
    ) -> BookingTurn: ...

    async def cancel(self, session_id: str) -> None: ...


class SynthesizerPort(Protocol):
    def stream(
        self, text: str, voice: str, output: OutputFormat, session_id: str
    ) -> AsyncGenerator[AudioPiece, None]: ...

    async def to_url(self, text: str, voice: str, session_id: str) -> SynthesizedUrl: ...


class RecognizerPort(Protocol):
    def stream(
        self, audio: AsyncIterator[bytes], sample_rate_hz: int, session_id: str, silence_ms: int, partials: bool
    ) -> AsyncGenerator[SpeechEvent, None]: ...

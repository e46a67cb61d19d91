"""The fast English engine: hibari's "heart" voice (a 7.9 MB network distilled from Kokoro-82M's af_heart).

The voice ships inside the ``hibari-tts`` wheel (its other voices download on first
use, which an offline cluster cannot do, so only "heart" is offered). A
121-character sentence takes ~55 ms on one core where the piper voice takes
~500 ms, and a reply's first audio waits for its first sentence; Whisper also
understands it better (bench/tts_bench.py). One single-threaded onnxruntime
session serves every worker (``run`` is thread-safe); the grapheme-to-phoneme
step is not known to be, so it runs under a lock (about 1 ms a sentence).
"""

from __future__ import annotations

import hashlib
import threading
from importlib import metadata
from pathlib import Path

import numpy as np
from hibari import Hibari

from services.tts.onnx_session import cpu_session
from services.tts.piper_engine import SYNTHESIS
from services.tts.voices import VoiceInfo

VOICE = VoiceInfo("en_US-hibari-heart", "en-US", "hibari", 24_000)
PEAK = SYNTHESIS.volume  # the piper voice's peak: replies mixing voices keep one loudness
SEED = 0  # fixes hibari's noise component: the same text gives the same audio (and cache entry)


def _fingerprint(model: Path) -> str:
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    return f"hibari-tts {metadata.version('hibari-tts')}; {VOICE.name}; {digest}; peak={PEAK}; seed={SEED}"


class HibariEngine:
    name = "hibari"

    def __init__(self, allow_spinning: bool = False) -> None:
        self._tts = Hibari()  # the default voice, "heart": inside the package
        model = Path(self._tts.model_path)
        self._tts.sess = cpu_session(model, 1, 1, allow_spinning)
        self._fingerprint = _fingerprint(model)
        self._phonemizing = threading.Lock()

    def warm_up(self) -> None:
        """Load the lexicons and the tagger and run the network once, before the first request."""
        self.synthesize("Hello, warming up.", VOICE.name)

    def voices(self) -> list[VoiceInfo]:
        return [VOICE]

    def fingerprint(self, voice: str) -> str:
        return self._fingerprint

    def synthesize(self, text: str, voice: str) -> np.ndarray:
        # hibari reads "[word](/phonemes/)" as a pronunciation: brackets are text only here.
        text = text.replace("[", " ").replace("]", " ")
        with self._phonemizing:
            phonemes = self._tts.phonemize(text)
        rng = np.random.default_rng(SEED)
        parts = [self._tts.from_ids(self._tts.ids(chunk), 1.0, rng) for chunk in phonemes]
        if not parts:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(parts).astype(np.float32, copy=False)
        peak = float(np.abs(audio).max())
        return audio * (PEAK / peak) if peak > 0 else audio

"""Speech recognizers: a small Protocol and the Whisper (CTranslate2) implementation.

Whisper is trained on 30 s windows, but CTranslate2's encoder accepts a shorter
log-Mel window and the encoder is most of the cost. We pad the features to the
next whole second and to at least ``min_window_s`` (10 s by default): on the dev
clips a 1 s-rounded window was ~2x faster again but dropped final words and
re-read utterances ("perfect, thank you. perfect."), while 10 s matched the
30 s window's word error rate at about a quarter of its cost (see the bench).
Generation is capped by duration (``tokens_per_second``) and guarded against
loops with ``no_repeat_ngram_size``. The cap is 8 tokens per second of audio + 10:
at 5 + 8 beam search ended spelled names and digits early ("K-O-W-A-L-S-K-",
"I'm a first year" without "student"), which cost ~1 point of WER on the dev
clips. Finals use beam search (5): on the dev clips it cut the WER from ~21% to
~18% for ~20% more decode time (the encoder dominates).

A domain prompt (Whisper's ``<|startofprev|>`` context, like faster-whisper's
``initial_prompt``) names the tenant and its vocabulary: it helps most on odd
voices, where the acoustics alone are ambiguous (see the bench), for ~10 ms at the median.
:class:`CascadeRecognizer` re-decodes only the unsure finals with a larger model.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Protocol

import ctranslate2
import numpy as np
import tokenizers
from faster_whisper.feature_extractor import FeatureExtractor
from faster_whisper.tokenizer import Tokenizer

from services.common.errors import InvalidInput
from services.common.priority import build_at_lower_priority
from services.stt.models import ModelSource

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Recognition:
    """What a recognizer heard in one utterance."""

    text: str
    confidence: float  # 0..1, geometric-mean token probability


class Recognizer(Protocol):
    """Turns 16 kHz mono float32 audio (one utterance, at most 30 s) into text.

    Implementations are called from worker threads, possibly concurrently.
    """

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        """``draft``: a cheaper decode that is good enough for a partial transcript."""
        ...

    def supports_language(self, language: str) -> bool: ...


@dataclass(frozen=True)
class DecodeOptions:
    """Knobs of the Whisper decode (all measured in the bench)."""

    beam_size: int = 5  # finals; drafts are greedy
    min_window_s: int = 10
    tokens_per_second: float = 8.0
    extra_tokens: int = 10
    no_repeat_ngram_size: int = 3
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    prompt: str = ""  # domain context before the transcript; empty: none


class WhisperRecognizer:
    """Whisper through CTranslate2's ``generate`` with faster-whisper's features and tokenizer."""

    MAX_SECONDS = 30
    MAX_PROMPT_TOKENS = 223  # Whisper's limit: half the 448-token context, less <|startofprev|>

    def __init__(
        self,
        source: ModelSource,
        *,
        workers: int,
        threads_per_worker: int,
        compute_type: str = "int8",
        options: DecodeOptions | None = None,
        draft_nice: int | None = None,
    ) -> None:
        """``draft_nice``: drafts decode on a one-worker copy of the model whose thread runs this much
        nicer (see :mod:`services.common.priority`), so finals win the CPU; ``None``: on the final workers."""
        files = dict(source.files) if source.files else None

        def load(inter_threads: int) -> ctranslate2.models.Whisper:
            return ctranslate2.models.Whisper(
                source.identifier,
                device="cpu",
                compute_type=compute_type,
                inter_threads=inter_threads,
                intra_threads=threads_per_worker,
                files=files,
            )

        self.model = load(workers)
        self.draft_model = self.model if draft_nice is None else build_at_lower_priority(draft_nice, lambda: load(1))
        if source.files:
            hf_tokenizer = tokenizers.Tokenizer.from_buffer(source.files["tokenizer.json"])
        else:
            hf_tokenizer = tokenizers.Tokenizer.from_file(f"{source.identifier}/tokenizer.json")
        self._hf_tokenizer = hf_tokenizer
        self._features = FeatureExtractor(feature_size=self.model.n_mels)
        self.options = options or DecodeOptions()
        self._tokenizers: dict[str, Tokenizer] = {}
        self._prefixes: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def supports_language(self, language: str) -> bool:
        if not self.model.is_multilingual:
            return language == "en"
        return f"<|{language}|>" in self._hf_tokenizer.get_vocab(with_added_tokens=True)

    def _tokenizer(self, language: str) -> Tokenizer:
        with self._lock:
            if language not in self._tokenizers:
                if not self.supports_language(language):
                    raise InvalidInput(f"language {language!r} is not supported by this speech model")
                tokenizer = Tokenizer(
                    self._hf_tokenizer, self.model.is_multilingual, task="transcribe", language=language
                )
                self._prefixes[language] = self._prefix(tokenizer)
                self._tokenizers[language] = tokenizer
            return self._tokenizers[language]

    def _prefix(self, tokenizer: Tokenizer) -> list[int]:
        """The decoder's start: the prompt as previous context (if any), then the transcript's start."""
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        prompt = self.options.prompt.strip()
        if not prompt:
            return start
        tokens = tokenizer.encode(" " + prompt)[-self.MAX_PROMPT_TOKENS :]
        return [tokenizer.sot_prev, *tokens, *start]

    def window_features(self, audio: np.ndarray, min_window_s: int) -> np.ndarray:
        """Log-Mel features of ``audio`` zero-padded to whole seconds, at least ``min_window_s``."""
        seconds = min(max(math.ceil(len(audio) / SAMPLE_RATE), min_window_s), self.MAX_SECONDS)
        samples = seconds * SAMPLE_RATE
        padded = np.zeros(samples, dtype=np.float32)
        padded[: min(len(audio), samples)] = audio[:samples]
        frames = seconds * SAMPLE_RATE // self._features.hop_length
        return self._features(padded, padding=0)[:, :frames]

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        """Transcribe one utterance; a ``draft`` (for partials) is greedy on the shortest window, ~2x cheaper."""
        tokenizer = self._tokenizer(language)
        if len(audio) == 0:
            return Recognition("", 0.0)
        features = self.window_features(audio, 1 if draft else self.options.min_window_s)
        prompt = self._prefixes[language]
        seconds = min(len(audio) / SAMPLE_RATE, self.MAX_SECONDS)
        max_new = math.ceil(self.options.tokens_per_second * seconds) + self.options.extra_tokens
        model = self.draft_model if draft else self.model
        result = model.generate(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features[np.newaxis])),
            [prompt],
            beam_size=1 if draft else self.options.beam_size,
            max_length=len(prompt) + max_new,
            no_repeat_ngram_size=self.options.no_repeat_ngram_size,
            return_scores=True,
            return_no_speech_prob=True,
        )[0]
        tokens = result.sequences_ids[0]
        avg_log_prob = result.scores[0] * len(tokens) / (len(tokens) + 1)  # like faster-whisper
        is_silence = (
            result.no_speech_prob > self.options.no_speech_threshold and avg_log_prob < self.options.log_prob_threshold
        )
        text = "" if is_silence else tokenizer.decode(tokens).strip()
        confidence = 0.0 if not text else float(min(1.0, math.exp(avg_log_prob)))
        return Recognition(text, confidence)


class CascadeRecognizer:
    """A fast recognizer whose unsure finals are decoded again by a stronger (slower) one.

    Drafts never escalate. The stronger model's result replaces the fast one's: the two
    confidences are not comparable, and on unsure clips the larger model was right more often (bench).
    """

    def __init__(self, fast: Recognizer, strong: Recognizer, min_confidence: float) -> None:
        self.fast = fast
        self.strong = strong
        self.min_confidence = min_confidence

    def supports_language(self, language: str) -> bool:
        return self.fast.supports_language(language) and self.strong.supports_language(language)

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        result = self.fast.transcribe(audio, language, draft=draft)
        if draft or not result.text or result.confidence >= self.min_confidence:
            return result
        return self.strong.transcribe(audio, language)

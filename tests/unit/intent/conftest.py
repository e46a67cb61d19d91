"""Fixtures of the intent unit tests: the packaged taxonomy and an engine on a tiny fake embedder."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

from services.intent.engine import IntentEngine
from services.intent.semantic import Vectors
from services.intent.taxonomy import Taxonomy, load_taxonomy

FAKE_DIM = 512


class BagOfWordsEmbedder:
    """A stand-in for e5: hashed bag of words, L2-normalised (same words → similar vectors)."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        matrix = np.zeros((len(texts), FAKE_DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace("?", " ").replace(".", " ").replace(",", " ").split():
                matrix[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % FAKE_DIM] += 1.0
            matrix[row, FAKE_DIM - 1] += 0.1  # never all zero
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="session")
def engine(taxonomy: Taxonomy) -> IntentEngine:
    return IntentEngine(taxonomy, BagOfWordsEmbedder())

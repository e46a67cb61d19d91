"""Building a knowledge-base index: chunk, embed, write a new collection, switch the alias.

A reindex never touches the collection that queries are using: it fills a new
collection named after the revision and then moves the alias in one atomic
operation, so callers see either the old or the new knowledge base, never a
half-built one. Concurrent reindexes (replicas, the CLI Job) are serialised by
a Redis lock; whoever gets it second finds the revision already indexed and
does nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import LockError, RedisError

from services.common.errors import BackendUnavailable
from services.rag.chunking import Chunk, chunk_document
from services.rag.embedder import Embedder
from services.rag.lexical import Bm25
from services.rag.sources import Document, content_digest
from services.rag.store import IndexManifest, IndexPoint, VectorStore
from services.rag.vector_cache import VectorCache

log = logging.getLogger(__name__)

INDEX_FORMAT = "1"  # bump when the payload or vectors change meaning
REBUILD_SUFFIX = "-b"


@dataclass(frozen=True)
class IndexParams:
    chunk_size: int
    chunk_overlap: int
    embedding_model: str


@dataclass(frozen=True)
class ReindexResult:
    manifest: IndexManifest
    collection: str
    changed: bool


def kb_revision(documents: list[Document], params: IndexParams) -> str:
    """Identity of what an index holds: the documents and every setting that shapes the index."""
    shape = f"{INDEX_FORMAT}\x1f{params.embedding_model}\x1f{params.chunk_size}\x1f{params.chunk_overlap}"
    return hashlib.sha256(f"{shape}\x1f{content_digest(documents)}".encode()).hexdigest()


def encode_vectors(vectors: np.ndarray) -> str:
    """Sentence vectors as compact base64 float16 (a payload field)."""
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode()


def decode_vectors(text: str, dim: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.float16).astype(np.float32).reshape(-1, dim)


def sentence_text(chunk: Chunk, sentence: str) -> str:
    """A sentence as embedded for answer selection: with its headings, which name what it is about."""
    return f"{chunk.context}. {sentence}" if chunk.context else sentence


class Indexer:
    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        redis: aioredis.Redis,
        vector_cache: VectorCache,
        params: IndexParams,
        lock_name: str,
        lock_timeout_s: float,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.redis = redis
        self.vector_cache = vector_cache
        self.params = params
        self.lock_name = lock_name
        self.lock_timeout_s = lock_timeout_s

    def chunks(self, documents: list[Document]) -> list[Chunk]:
        return [
            chunk
            for document in documents
            for chunk in chunk_document(document, self.params.chunk_size, self.params.chunk_overlap)
        ]

    async def reindex(self, documents: list[Document], force: bool = False) -> ReindexResult:
        revision = kb_revision(documents, self.params)
        lock = self.redis.lock(self.lock_name, timeout=self.lock_timeout_s, blocking_timeout=self.lock_timeout_s)
        try:
            acquired = await lock.acquire()
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"cannot take the reindex lock in Redis: {error}") from None
        if not acquired:
            raise BackendUnavailable("another reindex is still running; try again later")
        try:
            return await self._reindex_locked(documents, revision, force)
        finally:
            try:
                await lock.release()
            except (LockError, RedisError, OSError) as error:
                log.warning("reindex lock release failed", extra={"error": str(error)})

    async def _reindex_locked(self, documents: list[Document], revision: str, force: bool) -> ReindexResult:
        active = await self.store.active_collection()
        current = await self.store.manifest(active) if active else None
        if active and current and current.revision == revision and not force:
            return ReindexResult(current, active, changed=False)
        collection = self.store.collection_name(revision[:12])
        if collection == active:  # a forced rebuild of the same revision must not touch the live collection
            collection += REBUILD_SUFFIX
        chunks = await asyncio.to_thread(self.chunks, documents)
        manifest = IndexManifest(
            revision=revision,
            documents=len(documents),
            chunks=len(chunks),
            categories=sorted({document.category for document in documents}),
            embedding_model=self.params.embedding_model,
            indexed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        points = await self._points(chunks, revision)
        await self.store.create(collection, self.embedder.dim, manifest)
        await self.store.upsert(collection, points)
        await self.store.switch_alias(collection)
        dropped = await self.store.drop_collections_except({collection, active} if active else {collection})
        log.info(
            "knowledge base indexed",
            extra={"revision": revision, "collection": collection, "chunks": len(chunks), "dropped": dropped},
        )
        return ReindexResult(manifest, collection, changed=True)

    async def _points(self, chunks: list[Chunk], revision: str) -> list[IndexPoint]:
        sentence_texts = [sentence_text(chunk, sentence) for chunk in chunks for sentence in chunk.sentences]
        vectors = await self.vector_cache.embed(
            [chunk.indexed_text for chunk in chunks] + sentence_texts, self.embedder.apassages
        )
        return await asyncio.to_thread(build_points, chunks, vectors, revision)


def build_points(chunks: list[Chunk], vectors: np.ndarray, revision: str) -> list[IndexPoint]:
    """Points of ``chunks`` given their vectors followed by their sentences' vectors."""
    bm25 = Bm25.fit(chunk.indexed_text for chunk in chunks)
    chunk_vectors, sentence_vectors = vectors[: len(chunks)], vectors[len(chunks) :]
    points: list[IndexPoint] = []
    offset = 0
    for chunk, vector in zip(chunks, chunk_vectors, strict=True):
        own = sentence_vectors[offset : offset + len(chunk.sentences)]
        offset += len(chunk.sentences)
        points.append(
            IndexPoint(
                chunk_id=chunk.chunk_id,
                dense=vector.tolist(),
                lexical=bm25.document_vector(chunk.indexed_text),
                payload={
                    "chunk_id": chunk.chunk_id,
                    "document": chunk.document,
                    "category": chunk.category,
                    "title": chunk.title,
                    "section": chunk.section,
                    "position": chunk.position,
                    "context": chunk.context,
                    "sentences": list(chunk.sentences),
                    "sentence_vectors": encode_vectors(own),
                    "revision": revision,
                },
            )
        )
    return points

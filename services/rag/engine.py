"""The knowledge-base engine: validated queries, hybrid retrieval, answers, cache, reindex, stats.

It knows nothing about gRPC. Retrieval fuses a dense (e5) and a lexical (BM25)
search with reciprocal rank fusion; the answer is composed by
:mod:`services.rag.answer` and optionally rephrased by an LLM. Answers are
cached in Redis under the KB revision, so a reindex makes old entries
unreachable by construction, and cached answers are still served when Qdrant
is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from services.common.cache import JsonCache
from services.common.config import S3Settings
from services.common.errors import BackendUnavailable, InvalidInput
from services.common.telemetry import STAGE_LATENCY
from services.common.timing import StageTimer
from services.rag.answer import Passage, compose
from services.rag.config import RagSettings
from services.rag.embedder import Embedder
from services.rag.fusion import reciprocal_rank_fusion
from services.rag.generator import LlmGenerator
from services.rag.indexer import Indexer, ReindexResult, decode_vectors
from services.rag.lexical import query_vector
from services.rag.sources import load_documents
from services.rag.store import Hit, IndexManifest, VectorStore
from services.rag.text import normalize_query

log = logging.getLogger(__name__)

COMPONENT = "rag"
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.3  # paraphrased spoken questions: dense is the stronger retriever
ANSWER_CANDIDATES = 5  # sections considered for the answer, whatever top_k the caller wants
MIN_SEARCH_DEPTH = 30  # hits fetched from each retriever before fusion
EXTRACTIVE = "extractive"
NOT_FOUND_ANSWER = (
    "I'm sorry, I couldn't find that in the institute's information. "
    "Could you ask it another way, or would you like to speak to a person?"
)


@dataclass(frozen=True)
class SourceView:
    document: str
    section: str
    category: str
    score: float
    snippet: str
    chunk_id: str


@dataclass(frozen=True)
class QueryResult:
    answer: str
    confidence: float
    found: bool
    sources: list[SourceView]
    kb_revision: str
    generator: str
    cached: bool = False
    stages: dict[str, float] = field(default_factory=dict)
    total_ms: float = 0.0

    def to_cache(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "confidence": self.confidence,
            "found": self.found,
            "sources": [asdict(source) for source in self.sources],
            "kb_revision": self.kb_revision,
            "generator": self.generator,
        }

    @classmethod
    def from_cache(cls, value: dict[str, Any]) -> QueryResult:
        return cls(
            answer=str(value["answer"]),
            confidence=float(value["confidence"]),
            found=bool(value["found"]),
            sources=[SourceView(**source) for source in value["sources"]],
            kb_revision=str(value["kb_revision"]),
            generator=str(value["generator"]),
            cached=True,
        )


@dataclass(frozen=True)
class IndexState:
    collection: str
    manifest: IndexManifest


class RagEngine:
    def __init__(
        self,
        settings: RagSettings,
        store: VectorStore,
        embedder: Embedder,
        indexer: Indexer,
        cache: JsonCache,
        generator: LlmGenerator | None = None,
        s3: S3Settings | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.indexer = indexer
        self.cache = cache
        self.generator = generator
        self.s3 = s3 or S3Settings()
        self.relevance_threshold = (
            settings.relevance_threshold
            if settings.relevance_threshold is not None
            else embedder.model.relevance_threshold
        )
        self.state: IndexState | None = None
        self._refresher: asyncio.Task[None] | None = None

    # ----- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Read the active index; build it when there is none yet (and start-up indexing is on)."""
        await self.refresh_state()
        if (self.state is None or self._foreign(self.state)) and self.settings.index_on_start:
            result = await self.reindex()
            log.info(
                "indexed at start-up",
                extra={
                    "revision": result.manifest.revision,
                    "chunks": result.manifest.chunks,
                    "model": self.embedder.name,
                },
            )
        if self.settings.state_refresh_s > 0:
            self._refresher = asyncio.create_task(self._refresh_forever(), name="rag-state-refresh")

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self.generator is not None:
            await self.generator.close()

    async def refresh_state(self) -> IndexState | None:
        """Re-read which collection the alias points at (another replica or the Job may have reindexed)."""
        collection = await self.store.active_collection()
        manifest = await self.store.manifest(collection) if collection else None
        if collection and manifest:
            self.state = IndexState(collection, manifest)
        return self.state

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.state_refresh_s)
            try:
                await self.refresh_state()
            except BackendUnavailable as error:
                log.debug("index state refresh failed; keeping the last known state", extra={"error": error.message})

    def _foreign(self, state: IndexState) -> bool:
        """The index was embedded by another model: its vectors mean nothing to this one."""
        return state.manifest.embedding_model != self.embedder.name

    async def _require_state(self) -> IndexState:
        if self.state is None:
            await self.refresh_state()
        if self.state is None:
            raise BackendUnavailable("the knowledge base is not indexed yet; run a reindex")
        if self._foreign(self.state):
            raise BackendUnavailable(
                f"the knowledge base was indexed with {self.state.manifest.embedding_model}, "
                f"but this replica embeds with {self.embedder.name}; run a reindex"
            )
        return self.state

    # ----- validation ------------------------------------------------------------------------------------------

    def _validated_query(self, query: str) -> str:
        text = " ".join(query.split())
        if not text:
            raise InvalidInput("the query is empty: ask a question about the institute")
        if len(query) > self.settings.max_query_chars:
            raise InvalidInput(
                f"the query is {len(query)} characters long; the limit is {self.settings.max_query_chars}"
            )
        return text

    def _validated_top_k(self, top_k: int) -> int:
        if top_k == 0:
            return self.settings.top_k
        if not 1 <= top_k <= self.settings.max_top_k:
            raise InvalidInput(
                f"top_k must be between 1 and {self.settings.max_top_k} "
                f"(0 means the default, {self.settings.top_k}); got {top_k}"
            )
        return top_k

    @staticmethod
    def _validated_category(category: str, state: IndexState) -> str:
        name = category.strip().lower()
        if name and name not in state.manifest.categories:
            known = ", ".join(state.manifest.categories)
            raise InvalidInput(f"unknown category {category.strip()!r}; known categories: {known}")
        return name

    # ----- queries ---------------------------------------------------------------------------------------------

    @property
    def generator_name(self) -> str:
        return self.generator.name if self.generator is not None else EXTRACTIVE

    async def query(self, query: str, top_k: int = 0, category: str = "") -> QueryResult:
        timer = StageTimer()
        text = self._validated_query(query)
        k = self._validated_top_k(top_k)
        state = await self._require_state()
        category = self._validated_category(category, state)
        key = (state.manifest.revision, normalize_query(text), str(k), category, self.generator_name)
        with timer.stage("cache"):
            cached = await self.cache.get(*key)
        if cached is not None:
            try:
                return self._timed(QueryResult.from_cache(cached), timer)
            except (KeyError, TypeError, ValueError):  # an entry of another shape: answer afresh
                log.warning("unreadable cached answer ignored")

        depth = max(2 * k, MIN_SEARCH_DEPTH, ANSWER_CANDIDATES)
        lexical = await asyncio.to_thread(query_vector, text)
        # The lexical search needs no embedding: it runs while the model embeds the question.
        lexical_search = asyncio.ensure_future(self.store.search_lexical(lexical, depth, category))
        try:
            with timer.stage("embed"):
                dense = await self.embedder.aquery(text)
            with timer.stage("search"):
                dense_hits = await self.store.search_dense(dense.tolist(), depth, category)
                lexical_hits = await lexical_search
        finally:
            if not lexical_search.done():
                lexical_search.cancel()
            elif not lexical_search.cancelled():
                lexical_search.exception()  # mark it retrieved: the failure that matters was raised above
        with timer.stage("answer"):
            passages = self._fused_passages(dense_hits, lexical_hits, max(k, ANSWER_CANDIDATES))
            best_dense = dense_hits[0].score if dense_hits else 0.0
            answer = compose(text, dense, best_dense, passages, self.relevance_threshold, NOT_FOUND_ANSWER)
        spoken, generator, cacheable = answer.text, EXTRACTIVE, True
        if answer.found and self.generator is not None:
            with timer.stage("generate"):
                generated = await self.generator.generate(text, passages[:3])
            if generated:
                spoken, generator = generated, self.generator.name
            else:
                cacheable = False  # don't pin a fallback answer while the LLM is away
        sources = [self._source_view(passage) for passage in answer.passages[:k]]
        result = QueryResult(
            answer=spoken,
            confidence=answer.confidence,
            found=answer.found,
            sources=sources,
            kb_revision=state.manifest.revision,
            generator=generator,
        )
        if cacheable:
            await self.cache.set(result.to_cache(), *key)
        return self._timed(result, timer)

    def _fused_passages(self, dense_hits: list[Hit], lexical_hits: list[Hit], limit: int) -> list[Passage]:
        payloads = {hit.chunk_id: hit.payload for hit in [*lexical_hits, *dense_hits]}
        similarity = {hit.chunk_id: hit.score for hit in dense_hits}
        floor = min(similarity.values(), default=0.0)  # a chunk only the lexical search found
        fused = reciprocal_rank_fusion(
            [
                (DENSE_WEIGHT, [hit.chunk_id for hit in dense_hits]),
                (LEXICAL_WEIGHT, [hit.chunk_id for hit in lexical_hits]),
            ],
            k=self.settings.rrf_k,
        )
        best_possible = (DENSE_WEIGHT + LEXICAL_WEIGHT) / (self.settings.rrf_k + 1)
        return [
            self._passage(chunk_id, payloads[chunk_id], score / best_possible, similarity.get(chunk_id, floor))
            for chunk_id, score in fused[:limit]
        ]

    def _passage(self, chunk_id: str, payload: dict[str, Any], score: float, dense_score: float) -> Passage:
        sentences = tuple(str(sentence) for sentence in payload.get("sentences", []))
        context = str(payload.get("context", ""))
        return Passage(
            chunk_id=chunk_id,
            document=str(payload.get("document", "")),
            section=str(payload.get("section", "")),
            category=str(payload.get("category", "")),
            indexed_text=f"{context}. {' '.join(sentences)}" if context else " ".join(sentences),
            sentences=sentences,
            sentence_vectors=decode_vectors(str(payload.get("sentence_vectors", "")), self.embedder.dim),
            score=round(score, 4),
            dense_score=dense_score,
        )

    @staticmethod
    def _source_view(passage: Passage) -> SourceView:
        return SourceView(
            document=passage.document,
            section=passage.section,
            category=passage.category,
            score=passage.score,
            snippet=passage.snippet,
            chunk_id=passage.chunk_id,
        )

    @staticmethod
    def _timed(result: QueryResult, timer: StageTimer) -> QueryResult:
        for stage, ms in timer.stages.items():
            STAGE_LATENCY.labels(COMPONENT, stage).observe(ms / 1000.0)
        return replace(result, stages=dict(timer.stages), total_ms=timer.elapsed_ms)

    # ----- reindex and stats -----------------------------------------------------------------------------------

    def _validated_source(self, source: str) -> str:
        source = source.strip()
        if not source or source.startswith("s3://"):
            return source or self.settings.kb_source
        configured = self.settings.kb_source
        if configured.startswith("s3://") or not Path(source).resolve().is_relative_to(Path(configured).resolve()):
            raise InvalidInput(f"a directory source must lie inside the configured knowledge base {configured}")
        return source

    async def reindex(self, source: str = "", force: bool = False) -> ReindexResult:
        started = time.perf_counter()
        documents = await load_documents(self._validated_source(source), self.s3)
        result = await self.indexer.reindex(documents, force=force)
        self.state = IndexState(result.collection, result.manifest)
        STAGE_LATENCY.labels(COMPONENT, "reindex").observe(time.perf_counter() - started)
        return result

    async def stats(self) -> IndexState | None:
        """The active index, freshly read when Qdrant answers, else the last one known."""
        with contextlib.suppress(BackendUnavailable):
            await self.refresh_state()
        return self.state

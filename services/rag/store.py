"""The vector store: one Qdrant collection per KB revision behind a stable alias.

Points carry a dense vector (``dense``, cosine) and a BM25 sparse vector
(``lexical``, IDF modifier). What is indexed (revision, counts, categories)
travels as collection metadata, so every replica can read it through the alias.
Every Qdrant failure becomes :class:`BackendUnavailable`.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

from services.common.errors import BackendUnavailable
from services.rag.lexical import SparseVector

DENSE = "dense"
LEXICAL = "lexical"
UPSERT_BATCH = 64
_POINT_NAMESPACE = uuid.UUID("6f1c3a52-3c1e-4d7e-9a57-0b7a1f0e6a10")


@dataclass(frozen=True)
class IndexManifest:
    """What a collection holds; stored as its metadata."""

    revision: str
    documents: int
    chunks: int
    categories: list[str]
    embedding_model: str
    indexed_at: str

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any] | None) -> IndexManifest | None:
        if not metadata or "revision" not in metadata:
            return None
        return cls(
            revision=str(metadata["revision"]),
            documents=int(metadata.get("documents", 0)),
            chunks=int(metadata.get("chunks", 0)),
            categories=list(metadata.get("categories", [])),
            embedding_model=str(metadata.get("embedding_model", "")),
            indexed_at=str(metadata.get("indexed_at", "")),
        )


@dataclass(frozen=True)
class IndexPoint:
    chunk_id: str
    dense: list[float]
    lexical: SparseVector
    payload: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float
    payload: dict[str, Any]


def point_id(chunk_id: str) -> str:
    return str(uuid.uuid5(_POINT_NAMESPACE, chunk_id))


@contextlib.asynccontextmanager
async def _qdrant(action: str) -> AsyncIterator[None]:
    try:
        yield
    except BackendUnavailable:
        raise
    except Exception as error:  # transport, HTTP and closed-client errors alike
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise BackendUnavailable(f"the knowledge base store (Qdrant) is unavailable while {action}: {reason}") from None


def _category_filter(category: str) -> models.Filter | None:
    if not category:
        return None
    return models.Filter(must=[models.FieldCondition(key="category", match=models.MatchValue(value=category))])


class VectorStore:
    """Collections named ``<alias>-<suffix>``; queries always go through ``alias``."""

    def __init__(self, client: AsyncQdrantClient, alias: str) -> None:
        self.client = client
        self.alias = alias

    def collection_name(self, suffix: str) -> str:
        return f"{self.alias}-{suffix}"

    async def active_collection(self) -> str | None:
        async with _qdrant("resolving the alias"):
            response = await self.client.get_aliases()
        for description in response.aliases:
            if description.alias_name == self.alias:
                return str(description.collection_name)
        return None

    async def manifest(self, collection: str) -> IndexManifest | None:
        async with _qdrant("reading the index manifest"):
            try:
                info = await self.client.get_collection(collection)
            except (ValueError, UnexpectedResponse) as error:
                if isinstance(error, UnexpectedResponse) and error.status_code != 404:
                    raise
                return None
        return IndexManifest.from_metadata(info.config.metadata)

    async def create(self, collection: str, dim: int, manifest: IndexManifest) -> None:
        """A fresh, empty collection (an unfinished one of the same name is replaced)."""
        async with _qdrant("creating a collection"):
            if await self.client.collection_exists(collection):
                await self.client.delete_collection(collection)
            await self.client.create_collection(
                collection,
                vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={LEXICAL: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                metadata=asdict(manifest),
            )
            with warnings.catch_warnings():  # local mode says payload indexes have no effect there
                warnings.simplefilter("ignore", UserWarning)
                await self.client.create_payload_index(collection, "category", models.PayloadSchemaType.KEYWORD)

    async def upsert(self, collection: str, points: Sequence[IndexPoint]) -> None:
        async with _qdrant("writing points"):
            for start in range(0, len(points), UPSERT_BATCH):
                batch = points[start : start + UPSERT_BATCH]
                await self.client.upsert(
                    collection,
                    wait=True,
                    points=[
                        models.PointStruct(
                            id=point_id(point.chunk_id),
                            vector={
                                DENSE: point.dense,
                                LEXICAL: models.SparseVector(
                                    indices=point.lexical.indices, values=point.lexical.values
                                ),
                            },
                            payload=point.payload,
                        )
                        for point in batch
                    ],
                )

    async def switch_alias(self, collection: str) -> None:
        """Point the alias at ``collection`` in one atomic operation."""
        operations: list[models.CreateAliasOperation | models.DeleteAliasOperation] = []
        async with _qdrant("switching the alias"):
            if await self.active_collection() is not None:
                operations.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.alias)))
            operations.append(
                models.CreateAliasOperation(
                    create_alias=models.CreateAlias(collection_name=collection, alias_name=self.alias)
                )
            )
            await self.client.update_collection_aliases(change_aliases_operations=operations)

    async def drop_collections_except(self, keep: set[str]) -> list[str]:
        """Delete this alias's other collections (older revisions, abandoned builds)."""
        async with _qdrant("removing old collections"):
            response = await self.client.get_collections()
            stale = [c.name for c in response.collections if c.name.startswith(f"{self.alias}-") and c.name not in keep]
            for name in stale:
                await self.client.delete_collection(name)
        return stale

    async def _query(
        self, query: list[float] | models.SparseVector, using: str, limit: int, category: str
    ) -> list[Hit]:
        async with _qdrant("searching"):
            response = await self.client.query_points(
                self.alias,
                query=query,
                using=using,
                limit=limit,
                query_filter=_category_filter(category),
                with_payload=True,
            )
        return [
            Hit(str((p.payload or {}).get("chunk_id", p.id)), float(p.score), dict(p.payload or {}))
            for p in response.points
        ]

    async def search_dense(self, vector: list[float], limit: int, category: str = "") -> list[Hit]:
        """Nearest chunks by cosine similarity, best first."""
        return await self._query(vector, DENSE, limit, category)

    async def search_lexical(self, vector: SparseVector, limit: int, category: str = "") -> list[Hit]:
        """Best BM25 matches, best first; none when the query has no content words."""
        if not vector.indices:
            return []
        sparse = models.SparseVector(indices=vector.indices, values=vector.values)
        return await self._query(sparse, LEXICAL, limit, category)

"""The second bundled embedding model (minilm) and what happens when a deployment switches models."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import redis.asyncio as aioredis
from qdrant_client import AsyncQdrantClient

from services.common.config import S3Settings
from services.common.errors import BackendUnavailable
from services.rag.config import RagSettings
from services.rag.embedder import EMBEDDING_MODELS, Embedder
from services.rag.factory import build_engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def minilm() -> Iterator[Embedder]:
    model = Embedder("minilm", threads=1)
    yield model
    model.close()


def test_minilm_vectors_are_unit_length_and_mean_something(minilm: Embedder) -> None:
    question = minilm.query("How long can I borrow a book?")
    passages = minilm.passages(["Books may be borrowed for 28 days.", "The canteen serves lunch from noon."])
    assert question.shape == (384,) and passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert abs(float(np.linalg.norm(question)) - 1.0) < 1e-4
    on_topic, off_topic = passages @ question
    assert on_topic > off_topic + 0.2
    assert minilm.passages([]).shape == (0, 384)
    # A batch pads to its longest text; the padding must not change anyone's vector.
    assert np.allclose(minilm.passages(["Books may be borrowed for 28 days."])[0], passages[0], atol=1e-4)


def test_an_unknown_model_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown embedding model 'bert'; choose one of e5, minilm"):
        Embedder("bert")


async def test_minilm_engine_answers_with_its_own_threshold(
    redis: aioredis.Redis, minilm: Embedder, s3_settings: S3Settings, rag_settings: Callable[..., RagSettings]
) -> None:
    qdrant = AsyncQdrantClient(location=":memory:")
    engine = build_engine(rag_settings(agent="tests/rag-minilm"), redis, qdrant, minilm, s3_settings)
    try:
        await engine.start()
        assert engine.relevance_threshold == EMBEDDING_MODELS["minilm"].relevance_threshold
        answer = await engine.query("How long can I borrow a book?")
        assert answer.found and "28 days" in answer.answer
        assert answer.sources[0].document == "library/borrowing-and-fines.md"
        assert not (await engine.query("who won the football match last night")).found
    finally:
        await engine.close()
        await qdrant.close()


async def test_a_threshold_setting_overrides_the_models(
    redis: aioredis.Redis, minilm: Embedder, s3_settings: S3Settings, rag_settings: Callable[..., RagSettings]
) -> None:
    engine = build_engine(
        rag_settings(relevance_threshold=1.5), redis, AsyncQdrantClient(location=":memory:"), minilm, s3_settings
    )
    assert engine.relevance_threshold == 1.5


async def test_switching_models_rebuilds_the_index_or_refuses_to_mix_vectors(
    redis: aioredis.Redis,
    embedder: Embedder,
    minilm: Embedder,
    s3_settings: S3Settings,
    rag_settings: Callable[..., RagSettings],
) -> None:
    qdrant = AsyncQdrantClient(location=":memory:")
    settings = rag_settings(agent="tests/rag-switch")
    try:
        e5_engine = build_engine(settings, redis, qdrant, embedder, s3_settings)
        await e5_engine.start()
        assert e5_engine.state is not None and e5_engine.state.manifest.embedding_model == embedder.name

        # A replica that may not index: e5 vectors would be compared with minilm questions, so it refuses.
        frozen = build_engine(settings.model_copy(update={"index_on_start": False}), redis, qdrant, minilm, s3_settings)
        await frozen.start()
        with pytest.raises(BackendUnavailable, match=r"indexed with multilingual-e5-small.*run a reindex"):
            await frozen.query("How long can I borrow a book?")

        # The usual replica rebuilds the index for its model at start-up, and then answers.
        switched = build_engine(settings, redis, qdrant, minilm, s3_settings)
        await switched.start()
        assert switched.state is not None and switched.state.manifest.embedding_model == minilm.name
        assert "28 days" in (await switched.query("How long can I borrow a book?")).answer
    finally:
        await qdrant.close()

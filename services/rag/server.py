"""gRPC transport of the rag service: proto ↔ :class:`RagEngine` calls, nothing else."""

from __future__ import annotations

import time

import grpc
from voiceagent.v1 import rag_pb2, rag_pb2_grpc

from services.common.config import S3Settings, load_settings
from services.common.server import Registration, Runtime, run_service
from services.common.timing import timing_proto
from services.rag.config import RagSettings
from services.rag.engine import RagEngine
from services.rag.factory import open_runtime


class KnowledgeBaseServicer(rag_pb2_grpc.KnowledgeBaseServicer):
    def __init__(self, engine: RagEngine) -> None:
        self.engine = engine

    async def Query(self, request: rag_pb2.QueryRequest, context: grpc.aio.ServicerContext) -> rag_pb2.QueryResponse:
        result = await self.engine.query(request.query, request.top_k, request.category)
        return rag_pb2.QueryResponse(
            answer=result.answer,
            confidence=result.confidence,
            found=result.found,
            cached=result.cached,
            kb_revision=result.kb_revision,
            generator=result.generator,
            sources=[
                rag_pb2.Source(
                    document=s.document,
                    section=s.section,
                    category=s.category,
                    score=s.score,
                    snippet=s.snippet,
                    chunk_id=s.chunk_id,
                )
                for s in result.sources
            ],
            timing=timing_proto(result.stages, result.total_ms),
        )

    async def Reindex(
        self, request: rag_pb2.ReindexRequest, context: grpc.aio.ServicerContext
    ) -> rag_pb2.ReindexResponse:
        started = time.perf_counter()
        result = await self.engine.reindex(request.source, request.force)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return rag_pb2.ReindexResponse(
            kb_revision=result.manifest.revision,
            documents=result.manifest.documents,
            chunks=result.manifest.chunks,
            collection=result.collection,
            changed=result.changed,
            timing=timing_proto({"reindex": elapsed_ms}, elapsed_ms),
        )

    async def Stats(self, request: rag_pb2.StatsRequest, context: grpc.aio.ServicerContext) -> rag_pb2.StatsResponse:
        state = await self.engine.stats()
        if state is None:
            return rag_pb2.StatsResponse(embedding_model=self.engine.embedder.name)
        manifest = state.manifest
        return rag_pb2.StatsResponse(
            kb_revision=manifest.revision,
            documents=manifest.documents,
            chunks=manifest.chunks,
            collection=state.collection,
            categories=manifest.categories,
            embedding_model=manifest.embedding_model,
            indexed_at=manifest.indexed_at,
        )


def registration(engine: RagEngine) -> Registration:
    servicer = KnowledgeBaseServicer(engine)
    return Registration(
        rag_pb2.DESCRIPTOR.services_by_name["KnowledgeBase"].full_name,
        lambda server: rag_pb2_grpc.add_KnowledgeBaseServicer_to_server(servicer, server),
    )


def main() -> None:
    settings = load_settings(RagSettings)
    s3 = load_settings(S3Settings)

    async def build() -> Runtime:
        runtime = await open_runtime(settings, s3=s3)
        try:
            await runtime.engine.start()
        except BaseException:
            await runtime.close()
            raise
        return Runtime(registrations=[registration(runtime.engine)], close=runtime.close)

    run_service("rag", settings, build)

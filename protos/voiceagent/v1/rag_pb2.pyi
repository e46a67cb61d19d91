from voiceagent.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryRequest(_message.Message):
    __slots__ = ("query", "top_k", "category", "session_id")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    query: str
    top_k: int
    category: str
    session_id: str
    def __init__(self, query: _Optional[str] = ..., top_k: _Optional[int] = ..., category: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class Source(_message.Message):
    __slots__ = ("document", "section", "category", "score", "snippet", "chunk_id")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    SECTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    CHUNK_ID_FIELD_NUMBER: _ClassVar[int]
    document: str
    section: str
    category: str
    score: float
    snippet: str
    chunk_id: str
    def __init__(self, document: _Optional[str] = ..., section: _Optional[str] = ..., category: _Optional[str] = ..., score: _Optional[float] = ..., snippet: _Optional[str] = ..., chunk_id: _Optional[str] = ...) -> None: ...

class QueryResponse(_message.Message):
    __slots__ = ("answer", "confidence", "found", "sources", "cached", "kb_revision", "generator", "timing")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    KB_REVISION_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    answer: str
    confidence: float
    found: bool
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    cached: bool
    kb_revision: str
    generator: str
    timing: _common_pb2.Timing
    def __init__(self, answer: _Optional[str] = ..., confidence: _Optional[float] = ..., found: _Optional[bool] = ..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]] = ..., cached: _Optional[bool] = ..., kb_revision: _Optional[str] = ..., generator: _Optional[str] = ..., timing: _Optional[_Union[_common_pb2.Timing, _Mapping]] = ...) -> None: ...

class ReindexRequest(_message.Message):
    __slots__ = ("source", "force")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    source: str
    force: bool
    def __init__(self, source: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class ReindexResponse(_message.Message):
    __slots__ = ("kb_revision", "documents", "chunks", "collection", "changed", "timing")
    KB_REVISION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    kb_revision: str
    documents: int
    chunks: int
    collection: str
    changed: bool
    timing: _common_pb2.Timing
    def __init__(self, kb_revision: _Optional[str] = ..., documents: _Optional[int] = ..., chunks: _Optional[int] = ..., collection: _Optional[str] = ..., changed: _Optional[bool] = ..., timing: _Optional[_Union[_common_pb2.Timing, _Mapping]] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatsResponse(_message.Message):
    __slots__ = ("kb_revision", "documents", "chunks", "collection", "categories", "embedding_model", "indexed_at")
    KB_REVISION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    INDEXED_AT_FIELD_NUMBER: _ClassVar[int]
    kb_revision: str
    documents: int
    chunks: int
    collection: str
    categories: _containers.RepeatedScalarFieldContainer[str]
    embedding_model: str
    indexed_at: str
    def __init__(self, kb_revision: _Optional[str] = ..., documents: _Optional[int] = ..., chunks: _Optional[int] = ..., collection: _Optional[str] = ..., categories: _Optional[_Iterable[str]] = ..., embedding_model: _Optional[str] = ..., indexed_at: _Optional[str] = ...) -> None: ...

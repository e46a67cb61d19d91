from voiceagent.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConversationContext(_message.Message):
    __slots__ = ("previous_intent", "expecting", "now")
    PREVIOUS_INTENT_FIELD_NUMBER: _ClassVar[int]
    EXPECTING_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    previous_intent: str
    expecting: str
    now: str
    def __init__(self, previous_intent: _Optional[str] = ..., expecting: _Optional[str] = ..., now: _Optional[str] = ...) -> None: ...

class ClassifyRequest(_message.Message):
    __slots__ = ("text", "context", "session_id")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    text: str
    context: ConversationContext
    session_id: str
    def __init__(self, text: _Optional[str] = ..., context: _Optional[_Union[ConversationContext, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class IntentScore(_message.Message):
    __slots__ = ("intent", "confidence")
    INTENT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    intent: str
    confidence: float
    def __init__(self, intent: _Optional[str] = ..., confidence: _Optional[float] = ...) -> None: ...

class ClassifyResponse(_message.Message):
    __slots__ = ("intent", "confidence", "method", "alternatives", "entities", "enriched_query", "cached", "timing")
    class EntitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INTENT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    ENRICHED_QUERY_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    intent: str
    confidence: float
    method: str
    alternatives: _containers.RepeatedCompositeFieldContainer[IntentScore]
    entities: _containers.ScalarMap[str, str]
    enriched_query: str
    cached: bool
    timing: _common_pb2.Timing
    def __init__(self, intent: _Optional[str] = ..., confidence: _Optional[float] = ..., method: _Optional[str] = ..., alternatives: _Optional[_Iterable[_Union[IntentScore, _Mapping]]] = ..., entities: _Optional[_Mapping[str, str]] = ..., enriched_query: _Optional[str] = ..., cached: _Optional[bool] = ..., timing: _Optional[_Union[_common_pb2.Timing, _Mapping]] = ...) -> None: ...

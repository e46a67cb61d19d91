from voiceagent.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecognitionConfig(_message.Message):
    __slots__ = ("format", "language", "session_id", "silence_hangover_ms", "min_speech_ms", "max_utterance_ms", "disable_partials", "tentative_results")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SILENCE_HANGOVER_MS_FIELD_NUMBER: _ClassVar[int]
    MIN_SPEECH_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_UTTERANCE_MS_FIELD_NUMBER: _ClassVar[int]
    DISABLE_PARTIALS_FIELD_NUMBER: _ClassVar[int]
    TENTATIVE_RESULTS_FIELD_NUMBER: _ClassVar[int]
    format: _common_pb2.AudioFormat
    language: str
    session_id: str
    silence_hangover_ms: int
    min_speech_ms: int
    max_utterance_ms: int
    disable_partials: bool
    tentative_results: bool
    def __init__(self, format: _Optional[_Union[_common_pb2.AudioFormat, _Mapping]] = ..., language: _Optional[str] = ..., session_id: _Optional[str] = ..., silence_hangover_ms: _Optional[int] = ..., min_speech_ms: _Optional[int] = ..., max_utterance_ms: _Optional[int] = ..., disable_partials: _Optional[bool] = ..., tentative_results: _Optional[bool] = ...) -> None: ...

class StreamingRecognizeRequest(_message.Message):
    __slots__ = ("config", "audio")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    config: RecognitionConfig
    audio: bytes
    def __init__(self, config: _Optional[_Union[RecognitionConfig, _Mapping]] = ..., audio: _Optional[bytes] = ...) -> None: ...

class SpeechStarted(_message.Message):
    __slots__ = ("audio_offset_ms", "utterance_index")
    AUDIO_OFFSET_MS_FIELD_NUMBER: _ClassVar[int]
    UTTERANCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    audio_offset_ms: float
    utterance_index: int
    def __init__(self, audio_offset_ms: _Optional[float] = ..., utterance_index: _Optional[int] = ...) -> None: ...

class SpeechEnded(_message.Message):
    __slots__ = ("audio_offset_ms", "utterance_index", "discarded")
    AUDIO_OFFSET_MS_FIELD_NUMBER: _ClassVar[int]
    UTTERANCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    DISCARDED_FIELD_NUMBER: _ClassVar[int]
    audio_offset_ms: float
    utterance_index: int
    discarded: bool
    def __init__(self, audio_offset_ms: _Optional[float] = ..., utterance_index: _Optional[int] = ..., discarded: _Optional[bool] = ...) -> None: ...

class SpeechResumed(_message.Message):
    __slots__ = ("audio_offset_ms", "utterance_index")
    AUDIO_OFFSET_MS_FIELD_NUMBER: _ClassVar[int]
    UTTERANCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    audio_offset_ms: float
    utterance_index: int
    def __init__(self, audio_offset_ms: _Optional[float] = ..., utterance_index: _Optional[int] = ...) -> None: ...

class Transcript(_message.Message):
    __slots__ = ("text", "confidence", "start_ms", "end_ms", "utterance_index", "timing")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    UTTERANCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    text: str
    confidence: float
    start_ms: float
    end_ms: float
    utterance_index: int
    timing: _common_pb2.Timing
    def __init__(self, text: _Optional[str] = ..., confidence: _Optional[float] = ..., start_ms: _Optional[float] = ..., end_ms: _Optional[float] = ..., utterance_index: _Optional[int] = ..., timing: _Optional[_Union[_common_pb2.Timing, _Mapping]] = ...) -> None: ...

class StreamingRecognizeResponse(_message.Message):
    __slots__ = ("speech_started", "partial", "final", "speech_ended", "tentative", "speech_resumed")
    SPEECH_STARTED_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    SPEECH_ENDED_FIELD_NUMBER: _ClassVar[int]
    TENTATIVE_FIELD_NUMBER: _ClassVar[int]
    SPEECH_RESUMED_FIELD_NUMBER: _ClassVar[int]
    speech_started: SpeechStarted
    partial: Transcript
    final: Transcript
    speech_ended: SpeechEnded
    tentative: Transcript
    speech_resumed: SpeechResumed
    def __init__(self, speech_started: _Optional[_Union[SpeechStarted, _Mapping]] = ..., partial: _Optional[_Union[Transcript, _Mapping]] = ..., final: _Optional[_Union[Transcript, _Mapping]] = ..., speech_ended: _Optional[_Union[SpeechEnded, _Mapping]] = ..., tentative: _Optional[_Union[Transcript, _Mapping]] = ..., speech_resumed: _Optional[_Union[SpeechResumed, _Mapping]] = ...) -> None: ...

class RecognizeRequest(_message.Message):
    __slots__ = ("audio", "format", "language")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    audio: bytes
    format: _common_pb2.AudioFormat
    language: str
    def __init__(self, audio: _Optional[bytes] = ..., format: _Optional[_Union[_common_pb2.AudioFormat, _Mapping]] = ..., language: _Optional[str] = ...) -> None: ...

class RecognizeResponse(_message.Message):
    __slots__ = ("text", "confidence", "duration_ms", "timing", "utterances")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    UTTERANCES_FIELD_NUMBER: _ClassVar[int]
    text: str
    confidence: float
    duration_ms: float
    timing: _common_pb2.Timing
    utterances: _containers.RepeatedCompositeFieldContainer[Transcript]
    def __init__(self, text: _Optional[str] = ..., confidence: _Optional[float] = ..., duration_ms: _Optional[float] = ..., timing: _Optional[_Union[_common_pb2.Timing, _Mapping]] = ..., utterances: _Optional[_Iterable[_Union[Transcript, _Mapping]]] = ...) -> None: ...

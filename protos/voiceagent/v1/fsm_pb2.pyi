from voiceagent.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Slots(_message.Message):
    __slots__ = ("preferred_date", "preferred_time", "purpose", "user_name")
    PREFERRED_DATE_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_TIME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    preferred_date: str
    preferred_time: str
    purpose: str
    user_name: str
    def __init__(self, preferred_date: _Optional[str] = ..., preferred_time: _Optional[str] = ..., purpose: _Optional[str] = ..., user_name: _Optional[str] = ...) -> None: ...

class SlotOption(_message.Message):
    __slots__ = ("date", "time")
    DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    date: str
    time: str
    def __init__(self, date: _Optional[str] = ..., time: _Optional[str] = ...) -> None: ...

class Appointment(_message.Message):
    __slots__ = ("code", "date", "time", "purpose", "user_name", "status", "created_at", "session_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    date: str
    time: str
    purpose: str
    user_name: str
    status: str
    created_at: str
    session_id: str
    def __init__(self, code: _Optional[str] = ..., date: _Optional[str] = ..., time: _Optional[str] = ..., purpose: _Optional[str] = ..., user_name: _Optional[str] = ..., status: _Optional[str] = ..., created_at: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class BookingState(_message.Message):
    __slots__ = ("session_id", "state", "slots", "expecting", "failed_attempts", "appointment", "prompt")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    EXPECTING_FIELD_NUMBER: _ClassVar[int]
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    APPOINTMENT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    state: str
    slots: Slots
    expecting: str
    failed_attempts: int
    appointment: Appointment
    prompt: str
    def __init__(self, session_id: _Optional[str] = ..., state: _Optional[str] = ..., slots: _Optional[_Union[Slots, _Mapping]] = ..., expecting: _Optional[str] = ..., failed_attempts: _Optional[int] = ..., appointment: _Optional[_Union[Appointment, _Mapping]] = ..., prompt: _Optional[str] = ...) -> None: ...

class StartRequest(_message.Message):
    __slots__ = ("session_id", "now", "text")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    now: str
    text: str
    def __init__(self, session_id: _Optional[str] = ..., now: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class TurnRequest(_message.Message):
    __slots__ = ("session_id", "text", "now", "intent", "entities")
    class EntitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    INTENT_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    text: str
    now: str
    intent: str
    entities: _containers.ScalarMap[str, str]
    def __init__(self, session_id: _Optional[str] = ..., text: _Optional[str] = ..., now: _Optional[str] = ..., intent: _Optional[str] = ..., entities: _Optional[_Mapping[str, str]] = ...) -> None: ...

class TurnResponse(_message.Message):
    __slots__ = ("state", "reply", "rejected", "rejection_reason", "alternatives", "timing", "rejection_code")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    REJECTION_CODE_FIELD_NUMBER: _ClassVar[int]
    state: BookingState
    reply: str
    rejected: bool
    rejection_reason: str
    alternatives: _containers.RepeatedCompositeFieldContainer[SlotOption]
    timing: _common_pb2.Timing
    rejection_code: str
    def __init__(self, state: _Optional[_Union[BookingState, _Mapping]] = ..., reply: _Optional[str] = ..., rejected: _Optional[bool] = ..., rejection_reason: _Optional[str] = ..., alternatives: _Optional[_Iterable[_Union[SlotOption, _Mapping]]] = ..., timing: _Optional[_Union[_common_pb2.Timing, _Mapping]] = ..., rejection_code: _Optional[str] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class ListAppointmentsRequest(_message.Message):
    __slots__ = ("code", "user_name", "date", "include_cancelled", "limit")
    CODE_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    code: str
    user_name: str
    date: str
    include_cancelled: bool
    limit: int
    def __init__(self, code: _Optional[str] = ..., user_name: _Optional[str] = ..., date: _Optional[str] = ..., include_cancelled: _Optional[bool] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAppointmentsResponse(_message.Message):
    __slots__ = ("appointments",)
    APPOINTMENTS_FIELD_NUMBER: _ClassVar[int]
    appointments: _containers.RepeatedCompositeFieldContainer[Appointment]
    def __init__(self, appointments: _Optional[_Iterable[_Union[Appointment, _Mapping]]] = ...) -> None: ...

class CancelAppointmentRequest(_message.Message):
    __slots__ = ("code", "user_name", "date", "now")
    CODE_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    code: str
    user_name: str
    date: str
    now: str
    def __init__(self, code: _Optional[str] = ..., user_name: _Optional[str] = ..., date: _Optional[str] = ..., now: _Optional[str] = ...) -> None: ...

class RescheduleAppointmentRequest(_message.Message):
    __slots__ = ("code", "date", "time", "now")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    code: str
    date: str
    time: str
    now: str
    def __init__(self, code: _Optional[str] = ..., date: _Optional[str] = ..., time: _Optional[str] = ..., now: _Optional[str] = ...) -> None: ...

class AppointmentResponse(_message.Message):
    __slots__ = ("appointment", "message")
    APPOINTMENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    appointment: Appointment
    message: str
    def __init__(self, appointment: _Optional[_Union[Appointment, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

"""The state of one booking dialogue (kept in Redis between turns) and of a booked appointment."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Stage(StrEnum):
    INITIAL_GREETING = "INITIAL_GREETING"
    WAITING_FOR_DATE = "WAITING_FOR_DATE"
    WAITING_FOR_TIME = "WAITING_FOR_TIME"
    WAITING_FOR_PURPOSE = "WAITING_FOR_PURPOSE"
    WAITING_FOR_NAME = "WAITING_FOR_NAME"
    CONFIRMATION = "CONFIRMATION"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    HANDOFF = "HANDOFF"
    ABANDONED = "ABANDONED"  # the caller left before an explicit yes ("I'll call back, bye")


SLOT_ORDER = ("preferred_date", "preferred_time", "purpose", "user_name")
WAITING_STAGE = {
    "preferred_date": Stage.WAITING_FOR_DATE,
    "preferred_time": Stage.WAITING_FOR_TIME,
    "purpose": Stage.WAITING_FOR_PURPOSE,
    "user_name": Stage.WAITING_FOR_NAME,
}
SLOT_OF_STAGE = {stage: slot for slot, stage in WAITING_STAGE.items()}
FINISHED = frozenset({Stage.COMPLETED, Stage.CANCELLED, Stage.HANDOFF, Stage.ABANDONED})
CONFIRMATION = "confirmation"  # what the flow expects at the read-back (the intent service's context)


class Slots(BaseModel):
    preferred_date: str | None = None  # YYYY-MM-DD
    preferred_time: str | None = None  # HH:MM
    purpose: str | None = None
    user_name: str | None = None

    def get(self, slot: str) -> str | None:
        value: str | None = getattr(self, slot)
        return value

    def missing(self) -> list[str]:
        return [slot for slot in SLOT_ORDER if not self.get(slot)]


class Appointment(BaseModel):
    """A stored appointment as the caller and the RPCs see it."""

    model_config = ConfigDict(frozen=True)

    code: str
    date: str
    time: str
    purpose: str
    user_name: str
    status: str  # booked or cancelled
    created_at: str
    session_id: str


class Flow(BaseModel):
    """One session's booking dialogue; ``flow_id`` is the idempotency key of its booking."""

    session_id: str
    flow_id: str
    stage: Stage = Stage.INITIAL_GREETING
    slots: Slots = Field(default_factory=Slots)
    failed_attempts: int = 0
    appointment: Appointment | None = None
    prompt: str = ""

    @property
    def expecting(self) -> str | None:
        """The slot the last question asked for (``confirmation`` at the read-back), None when finished."""
        if self.stage == Stage.CONFIRMATION:
            return CONFIRMATION
        return SLOT_OF_STAGE.get(self.stage)

    @property
    def finished(self) -> bool:
        return self.stage in FINISHED

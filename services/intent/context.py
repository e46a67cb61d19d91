"""The context layer: what the conversation so far says about this turn.

- Slot filling: while the booking flow waits for a date, time, purpose or name, a
  turn that states one is ``APPOINTMENT_SCHEDULING`` ("tomorrow", "Sophie Wagner",
  "no, Thursday") unless a confident rule says the caller does something else
  (cancels, asks a question, wants a person).
- A bare date or time without a question ("next Monday at 10") continues the
  appointment intent of the previous turn, or starts a booking.
- Priors for the semantic layer: at the read-back AFFIRM and DENY are likelier; while
  a slot is expected APPOINTMENT_SCHEDULING is; the previous intent is slightly likelier
  (follow-up questions).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intent.entities import Entities

SCHEDULING = "APPOINTMENT_SCHEDULING"
BOOKING_SLOTS = {"preferred_date": "date", "preferred_time": "time", "purpose": "purpose", "user_name": "user_name"}
CONFIRMATION = "confirmation"
EXPECTABLE = (*BOOKING_SLOTS, CONFIRMATION)
APPOINTMENT_INTENTS = frozenset({SCHEDULING, "APPOINTMENT_CANCEL", "APPOINTMENT_RESCHEDULE", "APPOINTMENT_STATUS"})
# Intents a confident rule may keep even while the flow waits for a slot value.
ESCAPES = frozenset(
    {
        "HUMAN_HANDOFF",
        "APPOINTMENT_CANCEL",
        "APPOINTMENT_STATUS",
        "RAG_QUERY",
        "GOODBYE",
        "REPEAT",
        "OUT_OF_SCOPE",
        "SMALLTALK",
    }
)
MAX_FRAGMENT_WORDS = 7

SLOT_PRIOR = 0.03
CONFIRMATION_PRIOR = 0.03
PREVIOUS_PRIOR = 0.01


@dataclass(frozen=True)
class Context:
    previous_intent: str | None = None
    expecting: str | None = None  # one of EXPECTABLE

    @property
    def in_booking(self) -> bool:
        return self.expecting is not None or self.previous_intent in APPOINTMENT_INTENTS


@dataclass(frozen=True)
class Decision:
    intent: str
    confidence: float


def _states_booking_value(entities: Entities) -> bool:
    return any((entities.date, entities.time, entities.purpose, entities.user_name))


def slot_filling(context: Context, entities: Entities, rule_intent: str | None, rule_decides: bool) -> Decision | None:
    """APPOINTMENT_SCHEDULING when the turn answers the slot the flow asked for."""
    if context.expecting not in BOOKING_SLOTS or not _states_booking_value(entities):
        return None
    if rule_decides and rule_intent in ESCAPES:
        return None
    return Decision(SCHEDULING, 0.95)


def bare_fragment(context: Context, entities: Entities, word_count: int, is_question: bool) -> Decision | None:
    """A short turn that only gives a date or time continues the appointment intent in progress."""
    if is_question or word_count > MAX_FRAGMENT_WORDS or not (entities.date or entities.time):
        return None
    if context.previous_intent in APPOINTMENT_INTENTS:
        return Decision(context.previous_intent, 0.85)
    return Decision(SCHEDULING, 0.8)


def priors(context: Context, intents: tuple[str, ...], is_question: bool) -> dict[str, float]:
    """Similarity bonuses the context gives each intent (a question is never read as a slot answer)."""
    bonus = dict.fromkeys(intents, 0.0)
    if context.expecting == CONFIRMATION:
        for intent in ("AFFIRM", "DENY"):
            if intent in bonus:
                bonus[intent] += CONFIRMATION_PRIOR
    elif context.expecting in BOOKING_SLOTS and SCHEDULING in bonus and not is_question:
        bonus[SCHEDULING] += SLOT_PRIOR
    if context.previous_intent in bonus:
        bonus[context.previous_intent] += PREVIOUS_PRIOR
    return bonus

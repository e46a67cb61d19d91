"""One caller turn as the machine sees it: the slot values it states and what it does.

Values come from the shared entity extractor (``services.intent.entities``),
run with the slot the flow is waiting for so that a bare answer ("Thursday",
"Lena Hoffmann") fills it. Entities the intent service already extracted may
be passed along; they fill what the local extraction left empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.common.errors import InvalidInput
from services.fsm.acts import Act, detect_acts, is_question, mentioned_slot
from services.intent.entities import extract_entities

# Intent labels of the intent service that mean a dialogue act the text rules may have missed.
ACT_OF_INTENT = {
    "AFFIRM": Act.AFFIRM,
    "DENY": Act.DENY,
    "APPOINTMENT_CANCEL": Act.CANCEL,
    "HUMAN_HANDOFF": Act.HANDOFF,
    "GOODBYE": Act.LEAVE,
}
SLOT_OF_ENTITY = {"date": "preferred_date", "time": "preferred_time", "purpose": "purpose", "user_name": "user_name"}
_ENTITY_OF_SLOT = {slot: entity for entity, slot in SLOT_OF_ENTITY.items()}
_FREE_TEXT_SLOTS = ("purpose", "user_name")  # a bare answer to these can be any words
_FORMATS = {"date": re.compile(r"^\d{4}-\d{2}-\d{2}$"), "time": re.compile(r"^\d{2}:\d{2}$")}
MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class Utterance:
    text: str
    acts: frozenset[Act]
    values: Mapping[str, str]  # slot name → value stated in this turn
    mentioned: str | None = None  # a slot named without a value ("the time is wrong")

    def has(self, act: Act) -> bool:
        return act in self.acts


def provided_values(entities: Mapping[str, str]) -> dict[str, str]:
    """Slot values from the intent service's entities; InvalidInput when one is malformed."""
    values = {}
    for key, value in entities.items():
        slot = SLOT_OF_ENTITY.get(key)
        if slot is None or not value.strip():
            continue
        pattern = _FORMATS.get(key)
        if (pattern and not pattern.match(value)) or len(value) > MAX_VALUE_CHARS:
            raise InvalidInput(f"entity {key!r} is malformed: {value[:40]!r}")
        values[slot] = value.strip()
    return values


def understand(
    text: str, now: datetime, expecting: str | None, intent: str = "", entities: Mapping[str, str] | None = None
) -> Utterance:
    provided = provided_values(entities or {})
    acts = detect_acts(text)
    if Act.NOISE in acts:
        return Utterance(text, acts, {})
    hinted = ACT_OF_INTENT.get(intent.strip().upper())
    if hinted is not None and not acts & set(ACT_OF_INTENT.values()):
        acts = acts | {hinted}
    extracted = extract_entities(text, now, expecting).as_dict()
    if expecting in _FREE_TEXT_SLOTS and ({"date", "time"} & extracted.keys() or is_question(text)):
        # Any words can answer these, but a turn that corrects the date or time (known by now: "wait, make
        # that eleven thirty") or asks a question of its own is not an answer: only an explicitly phrased
        # purpose or name counts then.
        explicit = extract_entities(text, now).as_dict()
        extracted = {key: value for key, value in extracted.items() if key != _ENTITY_OF_SLOT[expecting]}
        extracted.update({key: value for key, value in explicit.items() if key == _ENTITY_OF_SLOT[expecting]})
    values = {SLOT_OF_ENTITY[key]: value[:MAX_VALUE_CHARS] for key, value in extracted.items() if key in SLOT_OF_ENTITY}
    values = {**provided, **values}
    return Utterance(text, acts, values, mentioned_slot(text))

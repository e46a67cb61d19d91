"""Turning text into an utterance: the shared extractor, intent hints and the intent service's entities."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.common.errors import InvalidInput
from services.fsm.acts import Act
from services.fsm.understanding import understand

NOW = datetime(2026, 3, 2, 10, 0)  # Monday


def test_values_come_from_the_shared_extractor_with_the_expected_slot() -> None:
    utterance = understand("Thursday, please.", NOW, "preferred_date")
    assert utterance.values == {"preferred_date": "2026-03-05"}
    assert understand("Ten in the morning.", NOW, "preferred_time").values == {"preferred_time": "10:00"}


def test_noise_carries_no_values() -> None:
    utterance = understand("uh um well", NOW, "user_name")
    assert utterance.acts == {Act.NOISE} and utterance.values == {}


def test_entities_from_the_intent_service_fill_gaps_but_do_not_override() -> None:
    utterance = understand(
        "Thursday", NOW, "preferred_date", entities={"date": "2026-03-06", "time": "11:00", "email": "a@b.c"}
    )
    assert utterance.values == {"preferred_date": "2026-03-05", "preferred_time": "11:00"}


@pytest.mark.parametrize("entities", [{"date": "05.03.2026"}, {"time": "11"}, {"user_name": "x" * 300}])
def test_malformed_entities_are_invalid_input(entities: dict[str, str]) -> None:
    with pytest.raises(InvalidInput, match="malformed"):
        understand("hello", NOW, None, entities=entities)


def test_an_intent_label_supplies_an_act_the_words_did_not_show() -> None:
    assert Act.AFFIRM in understand("go for it", NOW, "confirmation", intent="AFFIRM").acts
    assert Act.HANDOFF in understand("someone from the office", NOW, "preferred_date", intent="HUMAN_HANDOFF").acts
    # The words win when they already say what the act is.
    acts = understand("no, cancel it", NOW, "confirmation", intent="AFFIRM").acts
    assert Act.AFFIRM not in acts and Act.CANCEL in acts


def test_a_named_slot_is_reported() -> None:
    assert understand("No, the time is wrong.", NOW, "confirmation").mentioned == "preferred_time"


@pytest.mark.parametrize("expecting", ["purpose", "user_name"])
def test_a_time_correction_is_not_taken_as_the_free_text_answer(expecting: str) -> None:
    utterance = understand("wait no sorry make that eleven thirty", NOW, expecting)
    assert utterance.values == {"preferred_time": "11:30"}


def test_an_explicit_purpose_next_to_a_correction_still_counts() -> None:
    values = understand(
        "I would like the appointment at 3 pm to talk about my thesis supervision", NOW, "purpose"
    ).values
    assert values["preferred_time"] == "15:00" and "thesis" in values["purpose"]


def test_a_side_question_is_not_taken_as_the_purpose() -> None:
    assert "purpose" not in understand("Quick question first, how long does a session last?", NOW, "purpose").values
    assert "purpose" not in understand("do i need to bring my transcript", NOW, "purpose").values

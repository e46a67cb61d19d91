"""The engine's layering: rules, context (slot filling, read-back, fragments), semantic fallback."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.intent.context import Context
from services.intent.engine import IntentEngine

NOW = datetime(2026, 6, 10, 10, 30)  # Wednesday


def classify(engine: IntentEngine, text: str, expecting: str | None = None, previous: str | None = None):
    return engine.classify(text, NOW, Context(previous_intent=previous, expecting=expecting))


@pytest.mark.parametrize(
    ("text", "expecting", "entities"),
    [
        ("tomorrow", "preferred_date", {"date": "2026-06-11"}),
        ("next friday please", "preferred_date", {"date": "2026-06-12"}),
        ("3", "preferred_time", {"time": "15:00"}),
        ("half past ten in the morning", "preferred_time", {"time": "10:30"}),
        ("thesis supervision", "purpose", {"purpose": "thesis supervision"}),
        ("Sophie Wagner", "user_name", {"user_name": "Sophie Wagner"}),
        ("no, Thursday", "preferred_date", {"date": "2026-06-11"}),
        ("actually move it to monday", "preferred_time", {"date": "2026-06-15"}),
    ],
)
def test_a_bare_answer_to_the_expected_slot_is_slot_filling(
    engine: IntentEngine, text: str, expecting: str, entities: dict[str, str]
) -> None:
    result = classify(engine, text, expecting)
    assert (result.intent, result.method) == ("APPOINTMENT_SCHEDULING", "context")
    assert result.entities == entities


@pytest.mark.parametrize(
    ("text", "expecting", "intent"),
    [
        ("never mind, cancel that", "preferred_date", "APPOINTMENT_CANCEL"),
        ("can I talk to a real person", "purpose", "HUMAN_HANDOFF"),
        ("How long does an advising session usually take?", "preferred_time", "RAG_QUERY"),
        ("sorry, could you repeat that?", "user_name", "REPEAT"),
    ],
)
def test_other_acts_mid_flow_keep_their_intent(engine: IntentEngine, text: str, expecting: str, intent: str) -> None:
    result = classify(engine, text, expecting)
    assert result.intent == intent
    assert "purpose" not in result.entities and "user_name" not in result.entities


@pytest.mark.parametrize(("text", "intent"), [("yes", "AFFIRM"), ("yep that's right", "AFFIRM"), ("no", "DENY")])
def test_yes_and_no_at_the_read_back(engine: IntentEngine, text: str, intent: str) -> None:
    assert classify(engine, text, "confirmation").intent == intent


def test_a_correction_at_the_read_back_is_a_deny_carrying_the_new_value(engine: IntentEngine) -> None:
    result = classify(engine, "no, the time is wrong, make it 11", "confirmation")
    assert result.intent == "DENY"
    assert result.entities == {"time": "11:00"}


def test_a_bare_date_continues_the_appointment_intent_in_progress(engine: IntentEngine) -> None:
    assert classify(engine, "next monday at 10", previous="APPOINTMENT_RESCHEDULE").intent == "APPOINTMENT_RESCHEDULE"
    fresh = classify(engine, "next monday at 10")
    assert (fresh.intent, fresh.method) == ("APPOINTMENT_SCHEDULING", "context")
    assert fresh.entities == {"date": "2026-06-15", "time": "10:00"}


def test_rules_decide_without_the_semantic_layer(engine: IntentEngine) -> None:
    result = classify(engine, "I'd like to book an appointment about my visa extension for Friday at 2 pm")
    assert (result.intent, result.method) == ("APPOINTMENT_SCHEDULING", "rule")
    assert result.entities == {"date": "2026-06-12", "time": "14:00", "purpose": "visa extension"}


def test_the_semantic_layer_ranks_all_intents_when_no_rule_decides(engine: IntentEngine, taxonomy) -> None:
    result = classify(engine, "semester fee amount for the master programme")
    assert result.method == "semantic"
    assert result.intent == "RAG_QUERY"
    assert len(result.alternatives) == taxonomy.semantic.alternatives
    scores = [result.confidence, *(score for _, score in result.alternatives)]
    assert scores == sorted(scores, reverse=True)
    assert result.intent not in {name for name, _ in result.alternatives}


def test_purpose_is_dropped_outside_appointments(engine: IntentEngine) -> None:
    result = classify(engine, "Can you tell me about the advising sessions offered online?")
    assert result.intent == "RAG_QUERY"
    assert "purpose" not in result.entities


def test_enriched_query_removes_noise_and_adds_booking_context(engine: IntentEngine) -> None:
    assert classify(engine, "hi um quick question wear is the library thanks").enriched_query == "where is the library"
    mid_flow = classify(engine, "how long does it take?", "preferred_time")
    assert mid_flow.enriched_query == "how long does it take (advising appointment)"


def test_classification_round_trips_through_json(engine: IntentEngine) -> None:
    from services.intent.engine import Classification

    result = classify(engine, "move it to tomorrow at noon")
    assert Classification.from_json(result.to_json()) == result

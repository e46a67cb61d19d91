"""The packaged pattern rules on utterances written for these tests (not the evaluation data)."""

from __future__ import annotations

import pytest

from services.intent.rules import match_all, rule_text
from services.intent.taxonomy import Taxonomy
from services.intent.text import normalize

DECIDED = [
    # requests for a person win over everything
    ("Can I please talk to a real person?", "HUMAN_HANDOFF"),
    ("i wanna speak with an agent", "HUMAN_HANDOFF"),
    ("put me through to someone at reception", "HUMAN_HANDOFF"),
    ("I'd like to speak to somebody", "HUMAN_HANDOFF"),
    ("no just get me a human", "HUMAN_HANDOFF"),
    # appointment policy questions are knowledge questions
    ("How far in advance do I need to book an advising session?", "RAG_QUERY"),
    ("what's the cancellation policy", "RAG_QUERY"),
    ("Can advising appointments be held online?", "RAG_QUERY"),
    ("is there a fee if i cancel my appointment late", "RAG_QUERY"),
    ("How long does a consultation usually take?", "RAG_QUERY"),
    ("Are appointments ever available at the weekend?", "RAG_QUERY"),
    ("do i have to book an appointment to see an advisor", "RAG_QUERY"),
    ("Who is responsible for exchange students?", "RAG_QUERY"),
    ("Is there a counselling service for international students?", "RAG_QUERY"),
    # institute words in unrelated tasks
    ("Could you book a table for four tonight?", "OUT_OF_SCOPE"),
    ("can you help me write the discussion chapter of my thesis", "OUT_OF_SCOPE"),
    ("Should I put my scholarship into bitcoin?", "OUT_OF_SCOPE"),
    ("what's the weather like tomorrow in hanover", "OUT_OF_SCOPE"),
    ("um whats the whether like", "OUT_OF_SCOPE"),
    ("who won the champions league final", "OUT_OF_SCOPE"),
    # appointment management
    ("Please cancel my appointment on Thursday.", "APPOINTMENT_CANCEL"),
    ("i cant make it so cancel it", "APPOINTMENT_CANCEL"),
    ("never mind, cancel that", "APPOINTMENT_CANCEL"),
    ("I no longer need my advising session", "APPOINTMENT_CANCEL"),
    ("Could we reschedule my consultation?", "APPOINTMENT_RESCHEDULE"),
    ("can you push my appointment back an hour", "APPOINTMENT_RESCHEDULE"),
    ("I'd like to move my session to next Friday", "APPOINTMENT_RESCHEDULE"),
    ("change the time of my booking please", "APPOINTMENT_RESCHEDULE"),
    ("my meeting needs a different day", "APPOINTMENT_RESCHEDULE"),
    ("When is my appointment?", "APPOINTMENT_STATUS"),
    ("is my session tomorrow still on", "APPOINTMENT_STATUS"),
    ("Do I have a booking for next week?", "APPOINTMENT_STATUS"),
    ("can you check whether my appointment was confirmed", "APPOINTMENT_STATUS"),
    ("Was my appointment cancelled?", "APPOINTMENT_STATUS"),
    ("I'd like to book an advising appointment.", "APPOINTMENT_SCHEDULING"),
    ("hi yeah i need to make an appointment", "APPOINTMENT_SCHEDULING"),
    ("can i see an advisor on monday", "APPOINTMENT_SCHEDULING"),
    ("I want to talk to someone about my thesis next week", "APPOINTMENT_SCHEDULING"),
    ("Could I get a consultation slot on Tuesday?", "APPOINTMENT_SCHEDULING"),
    # short turns
    ("Hello there!", "GREETING"),
    ("hi um hello", "GREETING"),
    ("Good morning, I have a couple of questions.", "GREETING"),
    ("Hi, this is Jana calling.", "GREETING"),
    ("Hello, is this the student advising office?", "GREETING"),
    ("Thanks, goodbye!", "GOODBYE"),
    ("ok thats all thank you", "GOODBYE"),
    ("I'll call back later.", "GOODBYE"),
    ("have a nice day", "GOODBYE"),
    ("Sorry, could you repeat that?", "REPEAT"),
    ("pardon", "REPEAT"),
    ("i didnt catch that", "REPEAT"),
    ("what did you just say", "REPEAT"),
    ("Yes.", "AFFIRM"),
    ("yeah that's correct", "AFFIRM"),
    ("uh huh", "AFFIRM"),
    ("Sure, go ahead.", "AFFIRM"),
    ("yes please book it", "AFFIRM"),
    ("No.", "DENY"),
    ("nope that's wrong", "DENY"),
    ("No, the date is wrong.", "DENY"),
    ("not really", "DENY"),
    ("How are you?", "SMALLTALK"),
    ("are you a robot", "SMALLTALK"),
    ("What should I call you?", "SMALLTALK"),
    ("tell me a joke", "SMALLTALK"),
]

NOT_DECIDED = [
    "When does the winter semester start?",  # a question: left to the semantic layer with a hint
    "thesis supervision",
    "okay",
    "tomorrow",
    "Sophie Wagner",
    "I don't understand the exam regulations",  # not a request to repeat
    "can I repeat a failed exam",
    "Do I need to write a thesis in the master?",  # not a request to write it
    "I'm interested in the master's programme",
]


def classify(taxonomy: Taxonomy, text: str) -> tuple[str | None, float]:
    hits = match_all(taxonomy.rules, rule_text(normalize(text)))
    return (hits[0].intent, hits[0].confidence) if hits else (None, 0.0)


@pytest.mark.parametrize(("text", "intent"), DECIDED)
def test_rules_decide_clear_cases(taxonomy: Taxonomy, text: str, intent: str) -> None:
    found, confidence = classify(taxonomy, text)
    assert found == intent
    assert confidence >= taxonomy.semantic.rule_accept


@pytest.mark.parametrize("text", NOT_DECIDED)
def test_rules_leave_open_cases_to_the_other_layers(taxonomy: Taxonomy, text: str) -> None:
    _, confidence = classify(taxonomy, text)
    assert confidence < taxonomy.semantic.rule_accept


def test_every_packaged_example_agrees_with_the_rules(taxonomy: Taxonomy) -> None:
    """An example that a confident rule sends elsewhere would teach the semantic layer a contradiction."""
    conflicts = []
    for intent, examples in taxonomy.examples.items():
        for example in examples:
            found, confidence = classify(taxonomy, example)
            if found and found != intent and confidence >= taxonomy.semantic.rule_accept:
                conflicts.append((example, intent, found))
    assert conflicts == []


def test_match_all_lists_one_hit_per_intent_in_rule_order(taxonomy: Taxonomy) -> None:
    hits = match_all(taxonomy.rules, rule_text(normalize("no please cancel it")))
    assert [hit.intent for hit in hits][:2] == ["APPOINTMENT_CANCEL", "DENY"]
    assert len({hit.intent for hit in hits}) == len(hits)


def test_rule_text_drops_punctuation_and_leading_discourse_markers() -> None:
    assert rule_text("wait, what hours do the advisors work?") == "what hours do the advisors work"
    assert rule_text("oh no!") == "no"

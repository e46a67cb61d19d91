"""Dialogue acts from caller phrasing, including recogniser noise."""

from __future__ import annotations

import pytest

from services.fsm.acts import Act, detect_acts, is_noise, is_question, mentioned_slot


@pytest.mark.parametrize(
    "text",
    [
        "uhh",
        "[inaudible]",
        "hmm the the",
        "mm uh",
        "sorry ssh krrk",
        "uh um well",
        "ehh",
        "",
        "  ",
        "[noise] [inaudible]",
        "Ummm...",
    ],
)
def test_unintelligible_turns_are_noise(text: str) -> None:
    assert is_noise(text)
    assert detect_acts(text) == {Act.NOISE}


@pytest.mark.parametrize(
    "text",
    [
        "Thursday",
        "3",
        "Hmm, wait a second.",
        "Lena Hoffmann",
        "yes",
        "no",
        "Quick question first, how long does a session last?",
    ],
)
def test_words_with_content_are_not_noise(text: str) -> None:
    assert not is_noise(text)


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("Yes, that's correct.", Act.AFFIRM),
        ("yeah thats right", Act.AFFIRM),
        ("yep", Act.AFFIRM),
        ("Correct.", Act.AFFIRM),
        ("ya", Act.AFFIRM),
        ("Yes, please book it.", Act.AFFIRM),
        ("yeah thats write", Act.AFFIRM),
        ("sounds good", Act.AFFIRM),
        ("Okay.", Act.AFFIRM),
        ("ok great", Act.AFFIRM),
        ("No, the time is wrong.", Act.DENY),
        ("Not quite.", Act.DENY),
        ("nope", Act.DENY),
        ("Never mind, cancel that.", Act.CANCEL),
        ("hmm actually forget it i dont need it anymore", Act.CANCEL),
        ("Hmm, no, cancel the whole thing please.", Act.CANCEL),
        ("Can I just talk to a real person please?", Act.HANDOFF),
        ("um its complicated i'd rather talk to a human", Act.HANDOFF),
        ("connect me to someone", Act.HANDOFF),
        ("oh wait i gotta go ill call back bye", Act.LEAVE),
        ("goodbye", Act.LEAVE),
        ("Hmm, let me check my calendar first.", Act.STALL),
        ("hold on", Act.STALL),
        ("no dont book it", Act.CANCEL),
        ("scratch that", Act.CANCEL),
        ("I changed my mind", Act.CANCEL),
        ("can you put me through to the operator", Act.HANDOFF),
        ("i'll try again later", Act.LEAVE),
        ("not yet", Act.STALL),
        ("Great, thanks.", Act.AFFIRM),
        ("yeah go for it", Act.AFFIRM),
    ],
)
def test_phrasings_map_to_acts(text: str, act: Act) -> None:
    assert act in detect_acts(text)


@pytest.mark.parametrize(
    "text",
    [
        "Hmm, let me check my calendar first.",
        "I'll call back, bye",
        "okay then tuesday at ten",
        "ok let me think",
        "i need to see an advisor on thursday",
        "Hmm, wait a second.",
        "no",
    ],
)
def test_only_an_explicit_yes_affirms(text: str) -> None:
    assert Act.AFFIRM not in detect_acts(text)


@pytest.mark.parametrize(
    "text",
    ["I need an appointment with an advisor", "can I come in person on Monday", "i need to see an advisor on thursday"],
)
def test_asking_for_an_advisor_appointment_is_not_a_handoff(text: str) -> None:
    assert Act.HANDOFF not in detect_acts(text)


def test_questions() -> None:
    assert is_question("how long does a session last")
    assert is_question("Quick question first, how long does a session last?")
    assert not is_question("thesis supervision")


def test_a_named_slot_without_a_value() -> None:
    assert mentioned_slot("no, the time is wrong") == "preferred_time"
    assert mentioned_slot("the date isn't right") == "preferred_date"
    assert mentioned_slot("you got my name wrong") == "user_name"
    assert mentioned_slot("the topic is different") == "purpose"
    assert mentioned_slot("no") is None
    assert mentioned_slot("the date and the time are wrong") is None

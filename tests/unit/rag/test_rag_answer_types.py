import pytest

from services.rag.answer_types import kind_match, wanted_kinds


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much does a room cost?", "money"),
        ("uh how much do i pay every semester", "money"),
        ("When does the library close?", "time"),
        ("How long does an appointment last?", "duration"),
        ("How many students study here?", "number"),
        ("Where is the International Office?", "place"),
        ("wear can i print", "place"),
        ("Who is in charge of data science?", "person"),
        ("What number do I call for IT help?", "phone"),
        ("What's the email of the housing office?", "email"),
        ("um can i bring a friend", "polarity"),
    ],
)
def test_question_cues(question: str, kind: str) -> None:
    assert kind in wanted_kinds(question)


def test_a_plain_request_wants_no_particular_kind() -> None:
    assert wanted_kinds("Tell me about the mentoring program") == frozenset()


def test_sentences_are_matched_against_the_wanted_kinds() -> None:
    money_and_time = frozenset({"money", "time"})
    assert kind_match(money_and_time, "The fee of €20 is due by 15 August.") == 1.0
    assert kind_match(money_and_time, "The fee of €20 is due soon.") == 0.5
    assert kind_match(frozenset({"phone"}), "Call +49 5121 909-0 at any time.") == 1.0
    assert kind_match(frozenset(), "Anything.") == 0.0

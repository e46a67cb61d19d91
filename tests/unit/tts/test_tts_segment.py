"""Sentence splitting: where a reply is cut into separately synthesized chunks."""

from __future__ import annotations

import pytest

from services.tts.segment import split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Hello. How are you? Fine!", ["Hello.", "How are you?", "Fine!"]),
        ("Dr. Smith will see you at 3 p.m. on Monday.", ["Dr. Smith will see you at 3 p.m. on Monday."]),
        ("We open at 9 a.m. Please be on time.", ["We open at 9 a.m.", "Please be on time."]),
        ("Bring e.g. your ID, i.e. a passport.", ["Bring e.g. your ID, i.e. a passport."]),
        ("Visit lui.example.org. Then call.", ["Visit lui.example.org.", "Then call."]),
        ("It costs 3.5 euros. Ok.", ["It costs 3.5 euros.", "Ok."]),
        ("J. R. R. Tolkien wrote it.", ["J. R. R. Tolkien wrote it."]),
        ("It takes approx. 5 days. No. 5 is free.", ["It takes approx. 5 days.", "No. 5 is free."]),
        ("We open Mon. See you then.", ["We open Mon.", "See you then."]),
        ("Total: €350. 3 people booked.", ["Total: €350.", "3 people booked."]),
        ('He said "Yes." Then left.', ['He said "Yes."', "Then left."]),
        ("Wait... What?", ["Wait...", "What?"]),
        ("No terminator at the end", ["No terminator at the end"]),
        ("  \n ", []),
    ],
)
def test_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_paragraphs_and_list_items_are_separate_sentences() -> None:
    text = "Opening hours\n- Monday: 9-5\n- Tuesday: closed\n\nThe office is\nin room B12."
    assert split_sentences(text) == [
        "Opening hours",
        "- Monday: 9-5",
        "- Tuesday: closed",
        "The office is in room B12.",
    ]


def test_long_sentences_are_cut_at_a_clause_boundary() -> None:
    clause = "the advising office helps with applications and enrolment"
    text = ", ".join([clause] * 8) + "."
    pieces = split_sentences(text, max_chars=150)
    assert all(len(piece) <= 150 for piece in pieces)
    assert all(piece.endswith(",") for piece in pieces[:-1])
    assert " ".join(pieces) == text


def test_a_sentence_without_breaks_is_cut_at_a_space() -> None:
    text = " ".join(["word"] * 100)
    pieces = split_sentences(text, max_chars=60)
    assert all(len(piece) <= 60 for piece in pieces)
    assert " ".join(pieces) == text


def test_a_single_huge_token_is_cut_hard() -> None:
    pieces = split_sentences("x" * 130, max_chars=50)
    assert [len(piece) for piece in pieces] == [50, 50, 30]


def test_a_long_opening_sentence_is_cut_at_its_first_clause_break() -> None:
    text = (
        "Students can borrow up to forty books at once, and the loan period is four weeks with two renewals. "
        "Overdue fees are fifty cents per day."
    )
    assert split_sentences(text, opening_max_chars=60) == [
        "Students can borrow up to forty books at once,",
        "and the loan period is four weeks with two renewals.",
        "Overdue fees are fifty cents per day.",
    ]


def test_a_long_opening_sentence_is_cut_even_when_its_first_break_comes_late() -> None:
    opening = "Applicants whose qualifications were obtained outside the European Union have earlier deadlines,"
    rest = "because their documents must be checked by the admissions office first."
    assert split_sentences(f"{opening} {rest}", opening_max_chars=90) == [opening, rest]


@pytest.mark.parametrize(
    "text",
    [
        "The library opens at eight in the morning.",  # short enough already
        "The library opens at eight in the morning on weekdays and at ten on Saturdays, too.",  # rest too short
        "Yes, the library opens at eight in the morning on weekdays and at ten on Saturdays and Sundays.",  # too early
        "The library opens at eight in the morning on weekdays and at ten on Saturdays and Sundays.",  # no break
    ],
)
def test_openings_without_a_natural_early_pause_stay_whole(text: str) -> None:
    assert split_sentences(text, opening_max_chars=60) == [text]


def test_only_the_opening_sentence_is_cut_early() -> None:
    later = "Then, after the first week, you may renew the loan online or at the desk on the ground floor."
    assert split_sentences(f"Sure. {later}", opening_max_chars=40) == ["Sure.", later]

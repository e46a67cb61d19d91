"""Normalisation of written and speech-recogniser text."""

from __future__ import annotations

import pytest

from services.intent.numbers import words_to_digits
from services.intent.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Um, I'd like like to book", "i'd like to book"),
        ("uh yeah i wanna book", "yeah i want to book"),
        ("thats right", "that's right"),
        ("id like to meat an advisor", "i'd like to meet an advisor"),
        ("wear is the examination office", "where is the examination office"),
        ("whats the whether like", "what's the weather like"),
        ("where can i by a semester ticket", "where can i buy a semester ticket"),
        ("uh huh", "mhm"),
        ("it's like, you know, hard", "it's, hard"),
        ("I LIKE  it", "i like it"),
        ("It’s fine", "it's fine"),
        ("does the cafeteria serve meat", "does the cafeteria serve meat"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("twenty one", "21"),
        ("the thirty first of may", "the 31st of may"),
        ("nine thirty", "9 30"),
        ("twenty-second", "22nd"),
        ("in two weeks", "in 2 weeks"),
    ],
)
def test_words_to_digits(text: str, expected: str) -> None:
    assert words_to_digits(text) == expected

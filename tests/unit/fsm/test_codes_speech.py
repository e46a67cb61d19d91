"""Confirmation codes and the speakable forms of dates, times and lists."""

from __future__ import annotations

from datetime import date, time

import pytest

from services.common.errors import InvalidInput
from services.fsm.codes import ALPHABET, LENGTH, new_code, normalize_code, spell
from services.fsm.speech import ordinal, say_date, say_list, say_time, sentence


def test_codes_are_short_and_free_of_look_alike_characters() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) > 190
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set("0O1IL2Z5S8B6GQ") & set(ALPHABET)


def test_codes_are_accepted_as_people_type_them() -> None:
    assert normalize_code("k7m-4pr") == "K7M4PR"
    assert normalize_code(" K7M 4PR ") == "K7M4PR"


@pytest.mark.parametrize("raw", ["", "K7M4P", "K7M4PRX", "K0M4PR", "ABC!23"])
def test_malformed_codes_are_invalid_input(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_code(raw)


def test_codes_are_spelled_one_character_at_a_time() -> None:
    assert spell("K7M4PR") == "K 7 M 4 P R"


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (31, "31st"),
    ],
)
def test_ordinals(number: int, text: str) -> None:
    assert ordinal(number) == text


def test_dates_and_times_are_spoken_forms() -> None:
    assert say_date(date(2026, 3, 5)) == "Thursday, March 5th"
    assert [say_time(time(*t)) for t in [(9, 0), (10, 30), (12, 0), (13, 30), (0, 0), (16, 45)]] == [
        "9 a.m.",
        "10:30 a.m.",
        "noon",
        "1:30 p.m.",
        "midnight",
        "4:45 p.m.",
    ]


def test_lists_and_sentences() -> None:
    assert say_list(["a"]) == "a"
    assert say_list(["a", "b"]) == "a or b"
    assert say_list(["a", "b", "c"], "and") == "a, b and c"
    assert sentence("starts at 4:30 p.m.") == "Starts at 4:30 p.m."
    assert sentence("sorry, it is taken") == "Sorry, it is taken."

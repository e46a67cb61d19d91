"""Spoken numbers to digits: "twenty one" → "21", "thirty first" → "31st", "nine thirty" → "9 30".

Only what dates and times need: cardinals and ordinals up to 99. A tens word
joins a following unit ("twenty one"), but two numbers that a caller says as
hour and minutes ("nine thirty", "two fifteen") stay two numbers.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
ORDINAL_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
}
ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}
# Words for a single spoken digit, as in phone numbers ("oh" and "o" are zero there).
DIGIT_WORDS = {**{word: str(value) for word, value in UNITS.items() if value < 10}, "oh": "0", "o": "0"}

_UNIT = "|".join(UNITS)
_TEN = "|".join(TENS)
_ORD_UNIT = "|".join(ORDINAL_UNITS)
_COMPOUND_ORDINAL = re.compile(rf"\b({_TEN})[\s-]({_ORD_UNIT})\b")
_COMPOUND_CARDINAL = re.compile(rf"\b({_TEN})[\s-]({_UNIT})\b")
_SINGLE = re.compile(rf"\b({_UNIT}|{_TEN}|{_ORD_UNIT}|{'|'.join(ORDINAL_TENS)})\b")


def ordinal_suffix(value: int) -> str:
    if 10 <= value % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def _ordinal(value: int) -> str:
    return f"{value}{ordinal_suffix(value)}"


def _compound_ordinal(match: re.Match[str]) -> str:
    return _ordinal(TENS[match.group(1)] + ORDINAL_UNITS[match.group(2)])


def _compound_cardinal(match: re.Match[str]) -> str:
    units = UNITS[match.group(2)]
    if units >= 10:
        return match.group(0)
    return str(TENS[match.group(1)] + units)


def _single(match: re.Match[str]) -> str:
    word = match.group(1)
    if word in UNITS:
        return str(UNITS[word])
    if word in TENS:
        return str(TENS[word])
    return _ordinal(ORDINAL_UNITS.get(word) or ORDINAL_TENS[word])


def words_to_digits(text: str) -> str:
    """Replace number words in lowercase text by digits (ordinals keep their suffix: "1st")."""
    text = _COMPOUND_ORDINAL.sub(_compound_ordinal, text)
    text = _COMPOUND_CARDINAL.sub(_compound_cardinal, text)
    return _SINGLE.sub(_single, text)


def parse_small_number(word: str) -> int | None:
    """A count as a caller says it: "3", "three", "a", "a couple" (for "in a week", "in a couple of days")."""
    if word.isdigit():
        return int(word)
    if word in ("a", "an", "one"):
        return 1
    if word in ("couple", "a couple", "a couple of"):
        return 2
    if word in ("few", "a few"):
        return 3
    converted = words_to_digits(word)
    return int(converted) if converted.isdigit() else None

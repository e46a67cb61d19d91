"""Numbers as English words, in the forms speech needs (built on ``num2words``).

``num2words`` writes British forms ("three hundred and fifty", "one thousand,
two hundred"); a US voice says "three hundred fifty", so the connecting "and"
and the commas are dropped here.
"""

from __future__ import annotations

import re

from num2words import num2words

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

_AND = re.compile(r",? and\b|,")


def _tidy(words: str) -> str:
    return re.sub(r"\s+", " ", _AND.sub("", words)).strip()


def cardinal(value: int) -> str:
    """``350`` → ``three hundred fifty``; negative values start with ``minus``."""
    if value < 0:
        return f"minus {cardinal(-value)}"
    return _tidy(num2words(value, lang="en"))


def ordinal(value: int) -> str:
    """``12`` → ``twelfth``, ``21`` → ``twenty-first``."""
    return _tidy(num2words(value, lang="en", to="ordinal"))


def year(value: int) -> str:
    """``2026`` → ``twenty twenty-six``, ``2005`` → ``two thousand five``, ``1905`` → ``nineteen oh-five``."""
    return _tidy(num2words(value, lang="en", to="year"))


def digits(text: str) -> str:
    """Each digit on its own: ``0471`` → ``zero four seven one`` (codes, phone numbers)."""
    return " ".join(DIGIT_WORDS[int(char)] for char in text if char.isdigit())


def decimal(integer_part: str, fraction_part: str) -> str:
    """``3``, ``25`` → ``three point two five`` (the fraction is read digit by digit)."""
    return f"{cardinal(int(integer_part))} point {digits(fraction_part)}"


def number(text: str) -> str:
    """A written integer as it is usually read.

    Thousands separators are allowed. A leading zero or five or more digits
    without separators (that is not a round thousand) reads digit by digit:
    such numbers are references, codes and phone numbers, not quantities.
    """
    plain = text.replace(",", "")
    if "," not in text and ((len(plain) > 1 and plain.startswith("0")) or (len(plain) >= 5 and int(plain) % 1000 != 0)):
        return digits(plain)
    return cardinal(int(plain))

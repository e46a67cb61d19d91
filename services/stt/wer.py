"""Word error rate with a spoken-form text normalizer (used by the bench and the tests).

Recognisers write ``2pm``, ``14th``, ``€75`` or ``472918`` where references spell
the words out, so both sides are normalized the same way before scoring:
lowercase, digits to words, punctuation stripped. The rules are general English
reading conventions, not fitted to any data set:

- a number with a leading zero or five or more digits, or a run of digit groups
  with a long or zero-led group (``0157 228 441``, ``0157-228-441``), is read digit
  by digit (phone, student and room numbers);
- a four-digit number from 1100 to 2099 that is not a round hundred is read as a
  year in pairs (``1999`` → ``nineteen ninety nine``, ``2005`` → ``two thousand five``);
- any other number is read as a cardinal; ``1st``/``14th`` become ordinals;
- ``2:30`` and ``10.30`` become times (``two thirty``), other decimals ``x point y``;
- hyphens split words, except after a prefix of one or two letters (``wi-fi`` → ``wifi``);
-  ``p.m.`` becomes ``pm``, ``€``/``$``/``%`` become words;
- apostrophes go with the other punctuation (``master's`` = ``masters``, ``i'm`` → ``im``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand"), (100, "hundred")]
_ORDINAL_EXCEPTIONS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_NUMBER_WORDS = {*_ONES, *_TENS[2:], "hundred", "thousand", "million", "billion"}
_CURRENCIES = {"€": "euros", "$": "dollars", "£": "pounds"}


def cardinal(number: int) -> str:
    """``75`` → ``seventy five`` (no "and", as in US usage and the references)."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    for scale, name in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            return f"{cardinal(high)} {name}" + (f" {cardinal(rest)}" if rest else "")
    raise AssertionError("unreachable")


def ordinal(number: int) -> str:
    """``14`` → ``fourteenth``, ``3`` → ``third``, ``20`` → ``twentieth``."""
    words = cardinal(number).split()
    last = words[-1]
    if last in _ORDINAL_EXCEPTIONS:
        words[-1] = _ORDINAL_EXCEPTIONS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _year(number: int) -> str:
    high, low = divmod(number, 100)
    if low == 0:
        return cardinal(number)
    if high == 20 and low < 10:
        return cardinal(number)
    return f"{cardinal(high)} " + (f"oh {cardinal(low)}" if low < 10 else cardinal(low))


def spoken_number(digits: str) -> str:
    """How a bare digit string is read aloud (see the module docstring)."""
    if len(digits) > 1 and (digits.startswith("0") or len(digits) >= 5):
        return " ".join(_ONES[int(d)] for d in digits)
    value = int(digits)
    if len(digits) == 4 and 1100 <= value <= 2099 and value % 100:
        return _year(value)
    return cardinal(value)


def _time(match: re.Match[str]) -> str:
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes == 0:
        return f" {cardinal(hours)} "
    return f" {cardinal(hours)} " + (f"oh {cardinal(minutes)} " if minutes < 10 else f"{cardinal(minutes)} ")


def _digit_groups(match: re.Match[str]) -> str:
    """``0157 228 441`` is read digit by digit; ``10 30`` (a time, two numbers) is not."""
    groups = re.split(r"[ .-]", match.group(0))
    if any(len(group) >= 3 or (len(group) > 1 and group.startswith("0")) for group in groups):
        return " ".join("".join(groups))
    return " ".join(groups)


def _join_hyphen(match: re.Match[str]) -> str:
    left, right = match.group(1), match.group(2)
    if len(left) <= 2 and len(right) >= 2:
        return left + right  # short prefixes: "wi-fi" → "wifi", "e-mail" → "email"
    return f"{left} {right}"  # "first-year", spelled letters "k-o-w", "twenty-five"


def normalize(text: str) -> str:
    """Lowercase spoken form without punctuation, digits written out as words."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 → 1000
    text = re.sub(r"\b(\d{1,2})[:.](\d{2})\b", _time, text)
    text = re.sub(r"\b(\d+)\.(\d+)\b", r"\1 point \2", text)
    text = re.sub(r"(\d)(am|pm)\b", r"\1 \2", text)
    text = re.sub(r"([€$£])\s?(\d+)", lambda m: f"{m.group(2)} {_CURRENCIES[m.group(1)]}", text)
    text = text.replace("%", " percent")
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: ordinal(int(m.group(1))), text)
    text = re.sub(r"\d+(?:[ .-]\d+)+", _digit_groups, text)
    text = re.sub(r"\d+", lambda m: f" {spoken_number(m.group(0))} ", text)
    while True:
        joined = re.sub(r"\b([a-z]+)-([a-z]+)\b", _join_hyphen, text, count=1)
        if joined == text:
            break
        text = joined
    text = text.replace("'", "")
    return " ".join(re.sub(r"[^a-z ]+", " ", text).split())


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences (substitutions, insertions, deletions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference word count) after normalizing both sides."""
    ref_words = normalize(reference).split()
    return edit_distance(ref_words, normalize(hypothesis).split()), len(ref_words)

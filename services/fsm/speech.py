"""Speakable renderings of dates, times and lists (what the TTS voice will read out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def say_date(day: date) -> str:
    """``Thursday, March 5th``."""
    return f"{day:%A}, {day:%B} {ordinal(day.day)}"


def say_time(moment: time) -> str:
    """``10 a.m.``, ``1:30 p.m.``, ``noon``, ``midnight``."""
    if moment.minute == 0 and moment.hour in (0, 12):
        return "midnight" if moment.hour == 0 else "noon"
    hour = moment.hour % 12 or 12
    half = "a.m." if moment.hour < 12 else "p.m."
    return f"{hour} {half}" if moment.minute == 0 else f"{hour}:{moment.minute:02d} {half}"


def say_list(items: Sequence[str], conjunction: str = "or") -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def sentence(text: str) -> str:
    """Capitalised, ending in exactly one full stop (``p.m.`` already ends a sentence)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else f"{text}."

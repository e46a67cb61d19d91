"""Dates a caller says, resolved to ISO ``YYYY-MM-DD`` against the caller's clock.

Resolution rules (the contract with the booking flow):

- "today" +0, "tomorrow" +1, "the day after tomorrow" +2, "in three days" +3,
  "in two weeks" / "two weeks from now" +14, "in a week" +7.
- "next Tuesday": the first Tuesday strictly after today (on a Monday that is
  tomorrow, on a Tuesday one week later). A bare weekday ("Friday", "on Friday")
  resolves the same way.
- "this Thursday": the Thursday of the current Monday–Sunday week if it is not
  past (today counts), otherwise next week's.
- "Tuesday next week" / "next week Tuesday": the Tuesday of the following Monday–Sunday week.
- "the 18th": that day of the current month if it is still ahead (today counts),
  otherwise of the next month that has it.
- "the 20th of next month": that day of the next month.
- "March 12", "12 March", "the 12th of March": that day in the current year
  (an explicit year is honoured). An explicit date beats a weekday said with it
  ("Wednesday the 25th of March").

When the text holds several dates, the last one wins ("not Monday, Friday").
Input is normalised lowercase text with number words already turned into digits.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from services.intent.numbers import parse_small_number

WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "tues": 1,
    "weds": 2,
    "thurs": 3,
}
MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# Nouns that make "the 2nd ..." a rank, not a day of the month.
RANK_NOUNS = (
    "time",
    "times",
    "year",
    "semester",
    "floor",
    "week",
    "one",
    "ones",
    "appointment",
    "session",
    "step",
    "page",
    "attempt",
    "exam",
    "option",
    "choice",
    "try",
    "round",
    "degree",
    "half",
    "place",
    "person",
    "lecture",
    "class",
    "course",
    "module",
    "meeting",
    "slot",
    "question",
    "opinion",
    "chance",
    "term",
)

_WEEKDAY = "|".join(WEEKDAYS)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])"
_ORD = r"(?:st|nd|rd|th)"
_YEAR = r"(?:,?\s+(?P<year>20\d\d))?"
_COUNT = r"(?P<count>\d+|an?|a couple(?: of)?|a few|couple(?: of)?)"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("iso", r"\b(?P<year>20\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
        ("month_day", rf"\b(?P<month>{_MONTH})\.?\s+(?:the\s+)?{_DAY}(?:{_ORD})?\b{_YEAR}"),
        ("day_month", rf"\b(?:the\s+)?{_DAY}(?:{_ORD})?\s+(?:of\s+)?(?P<month>{_MONTH})\b{_YEAR}"),
        ("next_month", rf"\b(?:the\s+)?{_DAY}(?:{_ORD})?\s+of\s+(?:the\s+)?next\s+month\b"),
        ("next_month", rf"\bnext\s+month\s+on\s+the\s+{_DAY}(?:{_ORD})?\b"),
        ("ordinal", rf"\b(?P<the>the\s+)?{_DAY}{_ORD}\b(?![-'])(?!\s+(?:{'|'.join(RANK_NOUNS)})\b)"),
        ("offset", rf"\b(?:in\s+{_COUNT}\s+(?P<unit>days?|weeks?)|(?:in\s+)?a\s+(?P<fortnight>fortnight))\b"),
        ("offset", rf"\b{_COUNT}\s+(?P<unit>days?|weeks?)\s+from\s+(?:now|today)\b"),
        (
            "relative",
            r"\b(?P<word>(?:the\s+)?day\s+after\s+tomorrow|tomorrow|today|tonight|this\s+"
            r"(?:morning|afternoon|evening)|later\s+today)\b",
        ),
        (
            "weekday",
            rf"\b(?:(?P<mod>next|this|coming|this\s+coming|next\s+week(?:\s+on)?)\s+)?"
            rf"(?P<weekday>{_WEEKDAY})\b"
            r"(?P<after>\s+(?:next\s+week|of\s+next\s+week|after\s+next))?",
        ),
    )
)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    value: date
    explicit: bool  # names a day of the month (beats a weekday said next to it)


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.month - 1 + months
    return day.year + index // 12, index % 12 + 1


def _day_of_month(today: date, day: int) -> date | None:
    """ "the 18th": this month if still ahead (today counts), else the next month that has that day."""
    for months_ahead in range(0, 13):
        year, month = _add_months(today, months_ahead)
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _weekday(today: date, weekday: int, modifier: str, after: str) -> date:
    if after or modifier.startswith("next week"):
        next_week_monday = today + timedelta(days=7 - today.weekday())
        extra = 7 if "after next" in after else 0
        return next_week_monday + timedelta(days=weekday + extra)
    if modifier.startswith("this") and "coming" not in modifier:
        this_week = today + timedelta(days=weekday - today.weekday())
        return this_week if this_week >= today else this_week + timedelta(days=7)
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _resolve(kind: str, match: re.Match[str], today: date) -> date | None:
    groups = match.groupdict()
    if kind == "iso":
        return _safe_date(int(groups["year"]), int(groups["month"]), int(groups["day"]))
    if kind in ("month_day", "day_month"):
        year = int(groups["year"]) if groups.get("year") else today.year
        return _safe_date(year, MONTHS[groups["month"]], int(groups["day"]))
    if kind == "ordinal":
        return _day_of_month(today, int(groups["day"]))
    if kind == "next_month":
        year, month = _add_months(today, 1)
        return _safe_date(year, month, int(groups["day"]))
    if kind == "relative":
        word = groups["word"]
        if "after" in word:
            return today + timedelta(days=2)
        return today + timedelta(days=1) if word == "tomorrow" else today
    if kind == "offset":
        if groups.get("fortnight"):
            return today + timedelta(days=14)
        count = parse_small_number(groups.get("count") or "")
        if count is None:
            return None
        return today + timedelta(days=count * (7 if groups["unit"].startswith("week") else 1))
    return _weekday(today, WEEKDAYS[groups["weekday"]], groups.get("mod") or "", groups.get("after") or "")


def find_dates(text: str, today: date) -> list[DateMention]:
    """Every date mention in ``text``, in order, overlapping matches resolved by the longest."""
    found: list[DateMention] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if kind == "ordinal" and not match.group("the") and not _ordinal_stands_alone(text, match):
                continue
            value = _resolve(kind, match, today)
            if value is None:
                continue
            mention = DateMention(
                match.start(), match.end(), value, kind in ("iso", "month_day", "day_month", "ordinal", "next_month")
            )
            if not any(_overlaps(mention, other) for other in found):
                found.append(mention)
    return sorted(found, key=lambda mention: mention.start)


def _ordinal_stands_alone(text: str, match: re.Match[str]) -> bool:
    """ "18th" without "the" is a date only as a short answer or after "on"/"for"/a weekday."""
    before = text[: match.start()].rstrip(" ,").rsplit(" ", 1)[-1]
    return before in ("", "on", "for", "to", "until", "by") or before in WEEKDAYS


def _overlaps(a: DateMention, b: DateMention) -> bool:
    return a.start < b.end and b.start < a.end


def extract_date(text: str, today: date) -> date | None:
    """The date the caller means: the last mention, where an explicit day beats an adjacent weekday."""
    mentions = find_dates(text, today)
    if not mentions:
        return None
    last = mentions[-1]
    if not last.explicit and len(mentions) > 1:
        previous = mentions[-2]
        if previous.explicit and _adjacent(text, previous, last):
            return previous.value
    return last.value


def _adjacent(text: str, a: DateMention, b: DateMention) -> bool:
    between = text[min(a.end, b.end) : max(a.start, b.start)]
    return re.fullmatch(r"[\s,]*(?:(?:the|a|on)\s*)?", between) is not None

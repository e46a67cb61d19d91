"""Clock times a caller says, normalised to 24-hour ``HH:MM``.

Rules (the contract with the booking flow):

- "3 pm" → 15:00, "10:30 am" → 10:30, "15:30" → 15:30, "noon"/"midday" → 12:00.
- "half past ten in the morning" → 10:30, "quarter to five in the afternoon" → 16:45,
  "nine thirty" → 09:30, "eleven o'clock" → 11:00.
- An hour without am/pm takes "morning"/"afternoon"/"evening" from the sentence;
  failing that it is read as office time: 1–6 → afternoon, 7–11 → morning, 12 → noon.
- A bare number is a time only with a cue ("at 9", "around 10", "make it 11") or when
  the booking flow is waiting for a time ("3" → 15:00).
- The value is what was said, even off the half-hour grid or outside office hours:
  the booking flow decides what can be booked. With several times the last one wins.

Input is normalised lowercase text with number words already turned into digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HOUR12 = r"(?P<h>1[0-2]|0?[1-9])"
_AMPM = r"(?:\s*(?P<ap>am|pm))?"
_NOT_A_TIME_AFTER = (
    r"(?!(?:st|nd|rd|th)\b)(?!\s*-?\s*(?:days?|weeks?|months?|minutes?|mins?|hours?|years?|semesters?|people|"
    r"persons?|students?|euros?|dollars?|percent|credits?|ects|pages?|times|of)\b)(?!\s*(?:%|[.,:]\d|/|-\d))"
)
_MINUTES_BEFORE = {"quarter": 15, "a quarter": 15, "5": 5, "10": 10, "20": 20, "25": 25}
_MINUTES_AFTER = {**_MINUTES_BEFORE, "half": 30}

_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d){_AMPM}\b",
        rf"\b{_HOUR12}\.(?P<m>[0-5]\d)\s*(?P<ap>am|pm)\b",
        rf"(?:\bat\s+){_HOUR12}\.(?P<m>[0-5]\d)\b{_AMPM}",
        rf"(?P<rel_q>\bhalf|\ba quarter|\bquarter|\b5|\b10|\b20|\b25)(?:\s+minutes)?\s+(?P<rel>past|after|to|till|"
        rf"before)\s+{_HOUR12}\b(?!:){_AMPM}",
        rf"(?<![\d+]\s)(?<![\d+])\b{_HOUR12}\s+(?P<m>[1-5]\d|0\s?[1-9]){_NOT_A_TIME_AFTER}\b{_AMPM}",
        rf"\b{_HOUR12}\s*o'?\s?clock\b{_AMPM}",
        rf"\b{_HOUR12}\s*(?P<ap>am|pm)\b",
        r"\b(?:12\s+)?(?P<word>noon|midday|midnight)\b",
        rf"\b(?:at|around|about|say|make\s+it|how\s+about|what\s+about)\s+(?:(?:around|about)\s+)?"
        rf"(?P<h>1[0-2]|0?[1-9]|1[3-9]|2[0-3])\b{_NOT_A_TIME_AFTER}",
        rf"\b{_HOUR12}(?=\s+(?:in\s+the|this)\s+(?:morning|afternoon|evening))",
    )
)
_BARE_HOUR = re.compile(rf"(?<!the\s)\b(?P<h>1[0-2]|0?[1-9]|1[3-9]|2[0-3])\b{_NOT_A_TIME_AFTER}")
_PERIOD_WORDS = re.compile(r"\b(?P<period>morning|afternoon|evening|tonight|night)\b")


_ISH = re.compile(r"(\d)\s*-?ish\b")
_MERIDIEM = re.compile(r"(\d)\s*([ap])\.?\s?m\b\.?")


def normalize_meridiem(text: str) -> str:
    """ "3 p.m." / "3 p m" / "3pm" → "3 pm"; "3ish" → "3"."""
    return _MERIDIEM.sub(r"\1 \2m", _ISH.sub(r"\1", text))


@dataclass(frozen=True)
class TimeMention:
    start: int
    end: int
    hour: int
    minute: int
    meridiem: str  # "am", "pm" or "" when the caller did not say


def _mention(match: re.Match[str]) -> TimeMention | None:
    groups = match.groupdict()
    if groups.get("word"):
        hour = 0 if groups["word"] == "midnight" else 12
        return TimeMention(match.start(), match.end(), hour, 0, "am" if hour == 0 else "pm")
    hour = int(groups["h"])
    minute = int(groups["m"].replace(" ", "")) if groups.get("m") else 0
    if groups.get("rel"):
        table = _MINUTES_AFTER if groups["rel"] in ("past", "after") else _MINUTES_BEFORE
        offset = table.get(groups["rel_q"])
        if offset is None:
            return None
        if groups["rel"] in ("past", "after"):
            minute = offset
        else:
            hour, minute = (hour - 1) or 12, 60 - offset
    return TimeMention(match.start(), match.end(), hour, minute, groups.get("ap") or "")


def _is_range_to(text: str, match: re.Match[str]) -> bool:
    """ "from 2 to 3" is a range, not "two minutes to three"."""
    if match.groupdict().get("rel") not in ("to", "till"):
        return False
    return re.search(r"\b(?:from|between)\s+\S*\s*$", text[: match.start()]) is not None


def find_times(text: str) -> list[TimeMention]:
    found: list[TimeMention] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if _is_range_to(text, match):
                continue
            mention = _mention(match)
            if mention and not any(mention.start < o.end and o.start < mention.end for o in found):
                found.append(mention)
    return sorted(found, key=lambda mention: mention.start)


def _period_near(text: str, mention: TimeMention) -> str:
    """The "morning"/"afternoon" word closest to the mention, if the sentence has one."""
    best, distance = "", len(text) + 1
    for match in _PERIOD_WORDS.finditer(text):
        gap = match.start() - mention.end if match.start() >= mention.end else mention.start - match.end()
        if gap < distance:
            best, distance = match.group("period"), gap
    return best


def to_24h(hour: int, minute: int, meridiem: str, period: str) -> str:
    if hour <= 12:
        if meridiem == "pm" or (not meridiem and period in ("afternoon", "evening", "tonight", "night")):
            hour = hour if hour == 12 else hour + 12
        elif meridiem == "am" or (not meridiem and period == "morning"):
            hour = 0 if hour == 12 else hour
        elif 1 <= hour <= 6:
            hour += 12
    return f"{hour:02d}:{minute:02d}"


def extract_time(text: str, expecting_time: bool = False, exclude: tuple[tuple[int, int], ...] = ()) -> str | None:
    """The time the caller means, as HH:MM, or None.

    ``expecting_time`` accepts a bare number ("3") as an hour; ``exclude`` lists character
    spans already taken by other entities (a date's "18th", a phone number).
    """
    mentions = [m for m in find_times(text) if not _inside(m.start, m.end, exclude)]
    if not mentions and expecting_time:
        for match in _BARE_HOUR.finditer(text):
            if not _inside(match.start(), match.end(), exclude):
                mentions.append(TimeMention(match.start(), match.end(), int(match.group("h")), 0, ""))
    if not mentions:
        return None
    last = mentions[-1]
    return to_24h(last.hour, last.minute, last.meridiem, _period_near(text, last))


def _inside(start: int, end: int, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)

"""What kind of answer a question asks for, and whether a sentence holds one.

"How much…" wants an amount of money, "when…" a date or time, "who…" a person
or office, and so on. A sentence that carries the wanted kind of fact is a
better answer than a sentence that merely shares the topic, which is the
typical mistake of pure embedding similarity on short sentences.
"""

from __future__ import annotations

import re

_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?"
_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|hundred"

# Evidence of each kind of fact inside a sentence.
SENTENCE_PATTERNS: dict[str, re.Pattern[str]] = {
    "money": re.compile(r"[€$£]\s?\d|\d\s?(?:euros?|eur)\b|\bfree of charge\b|\bno fee\b|\bfree\b", re.I),
    "number": re.compile(rf"\b\d[\d,.]*\b|\b(?:{_NUMBER_WORDS})\b", re.I),
    "time": re.compile(
        rf"\b\d{{1,2}}(?::\d\d)?\s?(?:am|pm)\b|\b\d{{1,2}}:\d\d\b|\b(?:{_MONTHS})\b|\b(?:{_WEEKDAYS})s?\b"
        r"|\bnoon\b|\bmidnight\b|\bdeadline\b|\b24 hours\b",
        re.I,
    ),
    "duration": re.compile(
        rf"\b(?:\d+|{_NUMBER_WORDS}|an?)[- ](?:minutes?|hours?|days?|working days?|weeks?|months?|years?"
        r"|semesters?)\b",
        re.I,
    ),
    "place": re.compile(
        r"\b(?:room|building|floor|street|straße|platz|weg|entrance|next to|opposite|address|desk)\b", re.I
    ),
    "person": re.compile(r"\b(?:dr|prof|mr|mrs|ms)\.|\b(?:office|centre|center|desk|team|advisor|counsellor)\b", re.I),
    "phone": re.compile(r"\+\d[\d\s-]{6,}\d"),
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "web": re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:org|com|de|net|eu)(?:/[\w/-]*)?\b", re.I),
    "polarity": re.compile(r"\b(?:not|no|never|cannot|only|must|without)\b|n't\b", re.I),
}

# Cues in a question for the kind of fact it wants; a question may want several.
QUESTION_CUES: dict[str, re.Pattern[str]] = {
    "phone": re.compile(r"\b(?:phone|call|telephone|hotline|ring)\b", re.I),
    "email": re.compile(r"\be-?mail\b|\bwrite to\b", re.I),
    "web": re.compile(r"\b(?:website|web ?site|online|link|url|portal|web page|download)\b", re.I),
    "money": re.compile(
        r"\b(?:how much|cost|costs|price|fees?|pay|paid|charge[sd]?|rent|expensive|cheap(?:est)?|money|afford)\b", re.I
    ),
    "duration": re.compile(r"\bhow long\b|\bhow many (?:days|weeks|months|years|hours|minutes|semesters)\b", re.I),
    "number": re.compile(r"\bhow many\b|\bnumber of\b|\bminimum\b|\bmaximum\b|\bscore\b|\bgrade\b|\bcredits\b", re.I),
    "time": re.compile(
        r"\b(?:when|what time|deadline|by when|until when|hours|open|opening|close|closing|date|tonight|today"
        r"|tomorrow|weekends?|saturdays?|sundays?)\b",
        re.I,
    ),
    "place": re.compile(r"\b(?:where|wear|which building|address|located|location)\b", re.I),
    "person": re.compile(r"\b(?:who|whom|which office|in charge|responsible|director)\b", re.I),
    "polarity": re.compile(
        r"^\s*(?:(?:um|uh|so|like|and|but|hi|hello|okay|ok),?\s+)*"
        r"(?:can|could|is|are|do|does|did|may|must|should|will|would|have|has)\b",
        re.I,
    ),
}


def wanted_kinds(question: str) -> frozenset[str]:
    return frozenset(kind for kind, cue in QUESTION_CUES.items() if cue.search(question))


def kind_match(kinds: frozenset[str], sentence: str) -> float:
    """Share of the wanted kinds of fact that ``sentence`` carries (0 when the question wants none)."""
    if not kinds:
        return 0.0
    return sum(1 for kind in kinds if SENTENCE_PATTERNS[kind].search(sentence)) / len(kinds)

"""What the caller wants to talk about at the appointment: a short lowercase phrase.

Taken from a cue in a booking request ("… about my visa extension",
"to discuss my internship requirements", "help with course registration"), or
the whole answer when the booking flow has just asked for the purpose
("Thesis supervision."). Outside a booking context a cue means nothing
("tell me about the library" is a question, not a purpose).
"""

from __future__ import annotations

import re

from services.intent.dates import MONTHS, WEEKDAYS
from services.intent.text import word_set

MAX_PURPOSE_WORDS = 6

_BOOKING_CONTEXT = re.compile(
    r"\b(?:appointments?|sessions?|meetings?|consultations?|slot|advis[eo]rs?|advising|counsell?ors?|"
    r"counsell?ing|book|schedule|set\s+up|meet|see\s+(?:someone|somebody|an?\s+\w+)|talk\s+to|speak\s+(?:to|with))\b"
)
_CUES = re.compile(
    r"(?<!how )(?<!what )\b(?:about|regarding|concerning|re:|related\s+to|in\s+regards?\s+to|with\s+regards?\s+to|"
    r"discuss|help\s+with|advice\s+on|advice\s+about|questions?\s+on)\s+|"
    r"\b(?:appointments?|sessions?|meetings?|consultations?|slot|advis[eo]r|counsell?or)\s+for\s+"
)
_WH_QUESTION = re.compile(r"^(?:who|what|what's|where|where's|which|when|why|how)\b(?!\s+about)")
_LEAD_IN = re.compile(
    r"^(?:(?:yes|yeah|sure|ok|okay|so|well)\b[\s,]*)*"
    r"(?:it's|its|it\s+is|this\s+is|that's|i\s+want|i'd\s+like|i\s+would\s+like|i\s+need|i\s+have|i've\s+got|"
    r"we\s+need|mostly|mainly|just)?\s*"
    r"(?:to\s+)?(?:talk|discuss|ask|get|have|some|questions?|help|advice)?\s*"
    r"(?:about|regarding|concerning|for|with|on)?\s*"
)
_LEADING_DETERMINERS = re.compile(r"^(?:(?:my|the|a|an|some|our|your|his|her|their|this|that)\s+)+")
_ENDS = (
    word_set(
        """
    on at in by around before after from until till tomorrow today tonight next this coming please and but so
    because since maybe if i i'm i'd can could would will should thanks thank asap soon sometime
    preferably ideally possibly with or then when where which who is are was were
    day days week weeks weekend month morning afternoon evening noon midday half quarter later earlier early
    """
    )
    | frozenset(WEEKDAYS)
    | frozenset(MONTHS)
)
# "… about my visa for Friday": "for" followed by a date or time ends the purpose.
_FOR_WHEN = re.compile(
    rf"\s+for\s+(?:the\s+)?(?:next|this|coming|tomorrow|today|tonight|\d|"
    rf"{'|'.join(WEEKDAYS)}|{'|'.join(MONTHS)}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon)\b"
)
_NOT_PURPOSES = word_set(
    "it that this them something anything everything stuff things me you one appointment session "
    "booking appointments sessions"
)
_NON_ANSWER = re.compile(
    r"\?|^(?:what|where|when|who|why|how|which|is|are|can|could|do|does|will|would)\b|"
    r"\b(?:cancel|never\s+mind|forget\s+it|human|person|someone|agent|repeat|pardon|inaudible)\b"
)


def _phrase(text: str) -> str | None:
    """The noun phrase at the start of ``text``, cut at the first word that starts a new part."""
    text = _FOR_WHEN.split(_LEADING_DETERMINERS.sub("", text.strip()), maxsplit=1)[0]
    kept: list[str] = []
    for raw in text.split():
        word = raw.strip('.,!?;:"()')
        if not word or word in _ENDS or any(ch.isdigit() for ch in word) or len(kept) == MAX_PURPOSE_WORDS:
            break
        kept.append(word)
        if raw != word:  # punctuation ends the phrase
            break
    phrase = " ".join(kept).strip(" '")
    if not phrase or phrase in _NOT_PURPOSES:
        return None
    return phrase


def extract_purpose(normalized: str, expecting_purpose: bool = False) -> str | None:
    """The purpose as a short lowercase phrase, or None."""
    if expecting_purpose or (_BOOKING_CONTEXT.search(normalized) and not _WH_QUESTION.match(normalized)):
        for match in _CUES.finditer(normalized):
            phrase = _phrase(normalized[match.end() :])
            if phrase:
                return phrase
    if expecting_purpose and not _NON_ANSWER.search(normalized):
        return _phrase(_LEAD_IN.sub("", normalized, count=1))
    return None

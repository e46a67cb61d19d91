"""The query handed to retrieval: the caller's question without the noise around it.

Starts from the normalised text (fillers removed, apostrophes restored, homophones
fixed), drops greetings and politeness around the question ("hi, quick question,
can you tell me …", "… thanks"), and, in the middle of a booking, says what "it"
refers to so that "how long does it take?" retrieves the advising policy.
"""

from __future__ import annotations

import re

_LEADING = re.compile(
    r"^(?:(?:(?:hi|hello|hey)(?: there)?|good (?:morning|afternoon|evening)|so|ok|okay|well|yeah|yes|right|alright|sorry|"
    r"excuse me|actually|quick question|one more thing|one more question|also|and|oh|i have a question|"
    r"i've got a question|another question|question)\b[\s,.!:;-]*)+"
)
_ASK_PREFIX = re.compile(
    r"^(?:(?:can|could|would) you (?:please )?(?:tell|let) me(?: know)?|(?:do|does) (?:you|anyone) know|"
    r"i(?:'d| would) like to know|i want to know|i was wondering|i wonder|please tell me|tell me|"
    r"i need to know|i'd love to know)\b[\s,]*"
)
_TRAILING = re.compile(r"[\s,]*(?:\b(?:please|thanks|thank you|thank you very much|cheers)\b[\s,.!]*)+$")
_PRONOUN = re.compile(r"\b(?:it|that|this|there|them)\b")
_APPOINTMENT_WORDS = re.compile(r"\b(?:appointments?|sessions?|advising|advis[eo]rs?|consultations?|meetings?|book)")
BOOKING_CONTEXT = "(advising appointment)"


def strip_preamble(normalized: str) -> str:
    """The request without greetings and openers in front ("hi, quick question, where …" → "where …")."""
    return _LEADING.sub("", normalized).strip()


def enrich_query(normalized: str, in_booking: bool) -> str:
    """A retrieval query for ``normalized`` caller text; ``in_booking``: a booking is in progress."""
    query = _ASK_PREFIX.sub("", strip_preamble(normalized)).strip()
    query = _TRAILING.sub("", query).strip(" ,")
    if not query:
        query = normalized.strip()
    if in_booking and _PRONOUN.search(query) and not _APPOINTMENT_WORDS.search(query):
        query = f"{query.rstrip('?.! ')} {BOOKING_CONTEXT}"
    return query

"""Entity extraction: the one entry point for dates, times, names, purposes, e-mails and phones.

Contract (stable; the booking flow depends on it)::

    extract_entities(text, now, expecting=None) -> Entities

- ``text``: one caller turn, written or as a speech recogniser outputs it (lowercase,
  no punctuation, fillers, homophones). ``now``: the caller's local time (naive);
  relative dates resolve against ``now.date()``.
- ``expecting``: the slot the booking flow just asked for (``preferred_date``,
  ``preferred_time``, ``purpose``, ``user_name`` or ``confirmation``). With it a bare
  answer fills that slot: "3" → time 15:00, "Sophie Wagner" → user_name,
  "thesis supervision" → purpose. Without it only explicit phrasing counts.
- Every field of :class:`Entities` is None when the text does not say it:
  - ``date``: ``YYYY-MM-DD`` ("next Tuesday" = first Tuesday strictly after today,
    "this Thursday" = this Mon–Sun week unless past, bare weekday = next one strictly
    after today, "the 18th" = this month if still ahead else next, "March 12" = this year;
    see :mod:`services.intent.dates`).
  - ``time``: ``HH:MM`` 24h, exactly as said, even off the 30-minute grid or outside office
    hours (bare hours 1–6 → afternoon, 7–11 → morning; see :mod:`services.intent.times`).
  - ``user_name``: Title Case. ``purpose``: short lowercase phrase.
  - ``email``: normalised address. ``phone``: digits, leading ``+`` if the caller said "plus".
- Validity (weekends, office hours, grid, past dates) is NOT checked here: that is the
  booking flow's job. The function is pure, never raises on odd text and is fast (<1 ms).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from services.intent.contacts import Span, extract_email, extract_phone
from services.intent.dates import extract_date, find_dates
from services.intent.names import extract_name
from services.intent.numbers import words_to_digits
from services.intent.purpose import extract_purpose
from services.intent.text import normalize
from services.intent.times import extract_time, normalize_meridiem

SLOTS = ("preferred_date", "preferred_time", "purpose", "user_name", "confirmation")


@dataclass(frozen=True)
class Entities:
    """Normalised values a caller turn states; every field None when the text doesn't say it."""

    date: str | None = None  # "YYYY-MM-DD"
    time: str | None = None  # "HH:MM" 24h, as said (even off-grid / out of hours)
    user_name: str | None = None  # Title Case
    purpose: str | None = None  # short lowercase phrase
    email: str | None = None
    phone: str | None = None  # digits, leading + if "plus"

    def as_dict(self) -> dict[str, str]:
        """Only the fields that are set."""
        return {key: value for key, value in asdict(self).items() if value is not None}


def _blank(text: str, spans: list[Span]) -> str:
    """Replace the given spans by spaces (offsets of the rest stay valid)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def extract_entities(text: str, now: datetime, expecting: str | None = None) -> Entities:
    """All entities of one caller turn (see the module docstring for the contract)."""
    normalized = normalize(text)
    email = extract_email(normalized)
    phone = extract_phone(_blank(normalized, [email[1]] if email else []))
    contact_spans = [found[1] for found in (email, phone) if found]
    without_contacts = _blank(normalized, contact_spans)

    numeric = normalize_meridiem(words_to_digits(without_contacts))
    today = now.date()
    found_date = extract_date(numeric, today)
    date_spans = tuple((mention.start, mention.end) for mention in find_dates(numeric, today))
    found_time = extract_time(numeric, expecting_time=expecting == "preferred_time", exclude=date_spans)

    user_name = extract_name(without_contacts, text, expecting_name=expecting == "user_name")
    purpose = extract_purpose(without_contacts, expecting_purpose=expecting == "purpose")
    if purpose and user_name and set(purpose.split()) & set(user_name.lower().split()):
        # One phrase read both ways ("the appointment for Lea Vogel", "it's thesis supervision"):
        # a purpose answer keeps the purpose, anything else the name.
        if expecting == "purpose":
            user_name = None
        else:
            purpose = None
    return Entities(
        date=found_date.isoformat() if found_date else None,
        time=found_time,
        user_name=user_name,
        purpose=purpose,
        email=email[0] if email else None,
        phone=phone[0] if phone else None,
    )

"""Checks of request fields, each failing with a message the client can act on."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from services.common.errors import InvalidInput
from services.fsm.rules import BookingRules

MAX_TEXT_CHARS = 2000
MAX_LIST_LIMIT = 200
DEFAULT_LIST_LIMIT = 50
_SESSION_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


def session_id(value: str) -> str:
    if not _SESSION_ID.match(value):
        raise InvalidInput("session_id must be 1–128 characters of letters, digits and . _ : @ -")
    return value


def utterance(text: str, required: bool = True) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text is {len(text)} characters long; at most {MAX_TEXT_CHARS} are accepted")
    text = text.strip()
    if required and not text:
        raise InvalidInput("text must not be empty")
    return text


def now(value: str, rules: BookingRules) -> datetime:
    """The caller's local wall clock: the request's ISO time (zoned or not) or, when empty, the server's."""
    if not value.strip():
        return rules.local_now()
    try:
        return rules.to_local(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise InvalidInput(f"now must be an ISO date-time such as 2026-03-02T10:00:00, got {value[:40]!r}") from None


def day(value: str, field: str = "date") -> str:
    text = value.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise InvalidInput(f"{field} must be a date as YYYY-MM-DD, got {value[:40]!r}")


def clock(value: str, field: str = "time") -> str:
    text = value.strip()
    if re.match(r"^\d{2}:\d{2}$", text):
        try:
            return time.fromisoformat(text).strftime("%H:%M")
        except ValueError:
            pass
    raise InvalidInput(f"{field} must be a time as HH:MM, got {value[:40]!r}")


def list_limit(value: int) -> int:
    if value < 0 or value > MAX_LIST_LIMIT:
        raise InvalidInput(f"limit must be between 0 and {MAX_LIST_LIMIT} (0 = {DEFAULT_LIST_LIMIT})")
    return value or DEFAULT_LIST_LIMIT


def person_name(value: str) -> str:
    value = " ".join(value.split())
    if len(value) > 100:
        raise InvalidInput("user_name is longer than 100 characters")
    return value

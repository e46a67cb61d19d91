"""E-mail addresses and phone numbers, written or spoken.

- email: "mara.schulz@example.com" as written, or spoken "jan dot krueger at example
  dot org" → ``jan.krueger@example.org``. A spoken address needs a known top-level
  domain at its end, so "meet at noon" is never an address.
- phone: at least six digits, written or spoken one by one ("plus four nine one
  seven …", "double five"), normalised to digits with a leading ``+`` when the
  caller said "plus".

Both functions also return the character span they used, so that the date and
time extractors can ignore those digits.
"""

from __future__ import annotations

import re

from services.intent.numbers import DIGIT_WORDS
from services.intent.text import word_set

MIN_PHONE_DIGITS = 6
TOP_LEVEL_DOMAINS = (
    "com",
    "org",
    "net",
    "edu",
    "de",
    "eu",
    "io",
    "info",
    "uk",
    "co",
    "gov",
    "at",
    "ch",
    "fr",
    "it",
    "nl",
    "es",
    "us",
    "ai",
    "app",
    "dev",
    "me",
    "biz",
    "ac",
    "pl",
    "se",
    "dk",
    "no",
    "fi",
    "be",
    "tr",
    "in",
)
Span = tuple[int, int]

_WRITTEN_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_SEP = r"\s*(?:\bdot\b|\.|\bunderscore\b|_|\bdash\b|\bhyphen\b|-)\s*"
_LABEL = r"[a-z0-9]+(?:\s*(?:\bdash\b|\bhyphen\b|\bminus\b|-)\s*[a-z0-9]+)*"
_SPOKEN_EMAIL = re.compile(
    rf"\b(?P<local>[a-z0-9]+(?:{_SEP}[a-z0-9]+)*)\s+(?:at|at\s+sign|at\s+symbol|@)\s+"
    rf"(?P<domain>{_LABEL}(?:\s*(?:\bdot\b|\.)\s*{_LABEL})*\s*(?:\bdot\b|\.)\s*(?:{'|'.join(TOP_LEVEL_DOMAINS)}))\b"
)
_SEPARATOR_WORDS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-", "minus": "-"}
_LEAD_WORDS = word_set("is my email e-mail mail address it's its me at reach contact write")


def _join_spoken(part: str) -> str:
    pieces = re.split(r"\s*(\bdot\b|\.|\bunderscore\b|_|\bdash\b|\bhyphen\b|\bminus\b|-)\s*", part.strip())
    return "".join(_SEPARATOR_WORDS.get(piece, piece) for piece in pieces)


def extract_email(text: str) -> tuple[str, Span] | None:
    """The e-mail address in normalised lowercase text, with its span."""
    written = _WRITTEN_EMAIL.search(text)
    if written:
        return written.group(0).rstrip("."), written.span()
    for match in _SPOKEN_EMAIL.finditer(text):
        local_words = match.group("local").split()
        # The local part starts after the words that announce it ("my email is ...").
        while local_words and local_words[0] in _LEAD_WORDS and len(local_words) > 1:
            local_words.pop(0)
        local = _join_spoken(" ".join(local_words))
        if local and local not in _LEAD_WORDS:
            return f"{local}@{_join_spoken(match.group('domain'))}", match.span()
    return None


_PHONE_TOKEN = re.compile(r"\+?\d[\d\-/().:]*|[a-z]+|\+")
_NOT_A_PHONE = re.compile(r"\d{4}-\d\d-\d\d|\d{1,2}:\d\d|\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\.?")


def extract_phone(text: str) -> tuple[str, Span] | None:
    """The longest run of spoken or written digits (at least six), with its span."""
    best: tuple[str, Span] | None = None
    digits, start, end, repeat = "", -1, -1, 1
    plus = False

    def close() -> None:
        nonlocal best, digits, start, plus
        if len(digits) >= MIN_PHONE_DIGITS and (best is None or len(digits) > len(best[0].lstrip("+"))):
            best = (("+" if plus else "") + digits, (start, end))
        digits, start, plus = "", -1, False

    for match in _PHONE_TOKEN.finditer(text):
        token = match.group(0)
        if token in ("plus", "+") and not digits:
            close()
            plus, start = True, match.start()
            continue
        if token in ("double", "triple"):
            repeat = 2 if token == "double" else 3
            if start < 0:
                start = match.start()
            continue
        if _NOT_A_PHONE.fullmatch(token):
            close()
            continue
        value = DIGIT_WORDS.get(token) if token.isalpha() else re.sub(r"\D", "", token)
        if token.startswith("+") and not digits:
            plus, start = True, match.start()
        if value:
            if start < 0:
                start = match.start()
            digits += value * repeat
            end = match.end()
        elif token not in ("dash", "-"):
            close()
        repeat = 1
    close()
    return best

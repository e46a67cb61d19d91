"""The caller's name, in Title Case.

A name follows an introduction ("my name is lukas brandt", "this is Clara calling",
"under the name Paul Fischer"), or is the whole answer when the booking flow has
just asked for it ("Sophie Wagner", "it's Amira Haddad, that's A M I R A").
Weak introductions ("I'm …", "this is …", "for …") count only when the words are
capitalised in the original text or a name is expected, because in lowercase
speech "i'm interested" and "this is about" look the same as "i'm lukas".
"""

from __future__ import annotations

import re

from services.intent.dates import MONTHS, WEEKDAYS
from services.intent.numbers import ORDINAL_TENS, ORDINAL_UNITS, TENS, UNITS
from services.intent.text import word_set

MAX_NAME_TOKENS = 3

# Words that end a name or show that the words after an introduction are not one.
NOT_NAME_WORDS = word_set(
    """
    a an the and or but so to of in on at for from with by about as is am are was were be been being it its it's
    i i'm i'd i'll me my mine you your we our they their he she him her his this that that's these those there
    here calling speaking again please thanks thank hi hello hey yes yeah yep no nope not ok okay sure right well
    just also too very really still only now then today tomorrow yesterday morning afternoon evening
    student students looking interested calling trying wondering hoping new back sorry fine good great glad
    happy here's what's how who where when why which can could would will should may might must do does did
    have has had get got want wanted need needed like booking book appointment appointments advisor advising
    session meeting name surname first last full call phone number email spelled spell spelling that's
    a. b. c. going gonna wanna available free busy done finished ready confused lost unsure worried
    your yours someone somebody anyone anybody everyone nobody one two three four five six seven eight nine ten
    mr mrs ms dr prof professor doctor sir madam speak talk repeat cancel forget never mind actually wait
    hold pardon excuse let give tell put transfer connect human person agent operator representative bye
    goodbye sounds works perfect correct exactly great maybe probably
    quite pretty rather super extremely kind sort bit little urgent important difficult hard easy complicated
    confusing late early long short old big small open closed possible impossible true false real actual same
    international exchange master masters bachelor bachelors phd doctoral undergraduate graduate postgraduate
    freshman second third final current former visiting guest abroad german english foreign
    """
) | frozenset(WEEKDAYS)

_DAY_WORDS = frozenset({"the", *UNITS, *TENS, *ORDINAL_UNITS, *ORDINAL_TENS})
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'\-]*[^\W\d_]|[^\W\d_]{2,}", re.UNICODE)

# (pattern, strong): strong introductions never need capitalisation as evidence.
_INTRODUCTIONS: tuple[tuple[re.Pattern[str], bool], ...] = tuple(
    (re.compile(pattern), strong)
    for pattern, strong in (
        (r"\b(?:my\s+)?(?:full\s+)?name(?:\s+is|'s)\s+", True),
        (r"\bunder\s+(?:the\s+)?name\s+(?:of\s+)?", True),
        (r"\bcall\s+me\s+", True),
        (r"\b(?:i'm|i\s+am)\s+", False),
        (r"\b(?:this|it)\s+is\s+|\bit's\s+|\bits\s+", False),
        (r"\b(?:appointment|booking|session|reservation|meeting|booked)\s+(?:is\s+)?(?:for|of|under)\s+", False),
        (r"\b(?:book|schedule|sign|put|register|add)\s+(?:me|us),\s+", False),
    )
)
# "… lukas brandt calling/speaking/here": the words before are a name even in lowercase speech.
_SELF_ANNOUNCED = re.compile(r"[\s,]+(?:calling|speaking|here)\b")
# Where a lowercase name ends: the end of the turn, a comma or "and …".
_CLAUSE_END = re.compile(r"\s*(?:$|[,.!]|and\b|calling\b|from\b)")
# Endings of ordinary words that names rarely have ("supervision", "paperwork" stays possible).
_NOT_NAME_SUFFIX = re.compile(r"(?:ing|tion|sion|ment|ness|ity|ies|ed|ly|able|ful|ship|ance|ence)$")
_SPELLING = re.compile(r"\b(?:spell(?:ed|t|s|ing)?|with an? [a-z]\b)")
# Lead-ins of a bare answer to "what is your name?".
_ANSWER_LEAD_IN = re.compile(
    r"^(?:(?:yes|yeah|sure|ok|okay|of course|right|so|well|hi|hello)\b[\s,]*)*"
    r"(?:(?:my\s+)?(?:full\s+)?name(?:\s+is|'s)|it's|its|it\s+is|this\s+is|i'm|i\s+am|that's|that\s+is)?\s*"
)


def _title(tokens: list[str]) -> str:
    return " ".join(token.lower() for token in tokens).title()


def _is_date_word(word: str, following: str) -> bool:
    """ "March 12", "may the first": a month followed by a day is a date, not a name."""
    day = following.lower().strip(".,!?;:")
    return word.lower() in MONTHS and (day[:1].isdigit() or day in _DAY_WORDS)


def _name_tokens(text: str) -> list[str]:
    """The name-like words at the start of ``text`` (stops at the first word that is not one)."""
    tokens: list[str] = []
    raws = text.split()
    for index, raw in enumerate(raws):
        word = raw.strip('.,!?;:"()')
        following = raws[index + 1] if index + 1 < len(raws) else ""
        if not _NAME_TOKEN.fullmatch(word) or word.lower() in NOT_NAME_WORDS or _is_date_word(word, following):
            break
        if len(word) == 1:
            break
        tokens.append(word)
        if len(tokens) == MAX_NAME_TOKENS or raw != word:  # punctuation ends the name
            break
    return tokens


def _capitalised(original: str, tokens: list[str]) -> bool:
    capitalised = {word.lower() for word in re.findall(r"\b[^\W\d_][\w'\-]*", original) if word[0].isupper()}
    return all(token.lower() in capitalised for token in tokens) and not original.isupper()


def _looks_like_a_full_name(normalized: str, end: int, tokens: list[str]) -> bool:
    """Lowercase speech: "it's mia schulz and …" — two or three name-like words closing a clause."""
    if not 2 <= len(tokens) <= MAX_NAME_TOKENS or any(_NOT_NAME_SUFFIX.search(t.lower()) for t in tokens):
        return False
    return _CLAUSE_END.match(normalized, end) is not None


def _trailing_name(normalized: str) -> list[str]:
    """The name closing a spelling correction ("… spelled with a K: Katrin Meier", "… so john meier")."""
    words = re.findall(r"[^\W\d_][\w'\-]*", normalized)
    tokens: list[str] = []
    for word in reversed(words):
        if len(word) == 1 or word in NOT_NAME_WORDS or len(tokens) == MAX_NAME_TOKENS:
            break
        tokens.insert(0, word)
    return tokens if len(tokens) >= 2 else []


def extract_name(normalized: str, original: str, expecting_name: bool = False) -> str | None:
    """The caller's name in Title Case, or None."""
    for pattern, strong in _INTRODUCTIONS:
        for match in pattern.finditer(normalized):
            tokens = _name_tokens(normalized[match.end() :])
            end = match.end() + len(" ".join(tokens))
            if tokens and (
                strong
                or expecting_name
                or _capitalised(original, tokens)
                or _SELF_ANNOUNCED.match(normalized, end)
                or _looks_like_a_full_name(normalized, end, tokens)
            ):
                return _title(tokens)
    if _SPELLING.search(normalized):
        tokens = _trailing_name(normalized.rstrip(" .!"))
        if tokens:
            return _title(tokens)
    if expecting_name:
        answer = _ANSWER_LEAD_IN.sub("", normalized, count=1)
        tokens = _name_tokens(answer)
        if tokens and len(answer.split()) <= len(tokens) + 6:
            return _title(tokens)
    return None

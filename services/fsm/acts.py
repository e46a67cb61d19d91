"""What a caller's words do to the dialogue, beyond the values they carry.

Yes/no at the read-back, cancelling, asking for a person, leaving, stalling,
and utterances a speech recogniser made unintelligible ("uhh", "[inaudible]",
"sorry ssh krrk"). Rules over normalised text: they are cheap, predictable and
cover the phrasing callers use on the phone.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Act(StrEnum):
    AFFIRM = "affirm"
    DENY = "deny"
    CANCEL = "cancel"
    HANDOFF = "handoff"
    LEAVE = "leave"
    STALL = "stall"
    NOISE = "noise"


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?:{pattern})" for pattern in patterns))


_PATTERNS: dict[Act, re.Pattern[str]] = {
    Act.AFFIRM: _any(
        r"\b(yes|yeah|yea|yep|yup|ya|yah|sure|correct|exactly|absolutely|definitely|confirm|confirmed|"
        r"perfect|affirmative|great|excellent|wonderful|lovely)\b",
        r"\b(thats|that is|its|all|sounds) (all )?(right|write|correct|fine|good|great|it)\b",
        r"^right\b",
        r"\b(book|do) it\b",
        r"\bgo (ahead|for it)\b",
        r"\bplease do\b",
        r"\bthat works\b",
        r"^(ok|okay|alright|all right)( then| great| thanks| thank you| please)?$",
    ),
    Act.DENY: _any(
        r"\b(no|nope|nah|wrong|incorrect|mistake)\b",
        r"\bnot (quite|right|correct|it|really|exactly)\b",
        r"\b(isnt|thats not|that is not|its not) (right|correct|it)\b",
    ),
    Act.CANCEL: _any(
        r"\bcancel\b",
        r"\bforget (it|that|about it|the whole thing)\b",
        r"\bnever ?mind\b",
        r"\b(dont|do not) (need|want) (it|this|that|one|an appointment|the appointment|to book)\b",
        r"\b(dont|do not) book\b",
        r"\bcall it off\b",
        r"\b(scrap|scratch) (it|that|this)\b",
        r"\bchanged my mind\b",
    ),
    Act.HANDOFF: _any(
        r"\b(real|actual|live) (person|human)\b",
        r"\bhuman being\b",
        r"\b(talk|speak|chat)(ing)? (to|with) (a |an |some |the )?(human|person|someone|somebody|operator|"
        r"agent|representative|receptionist|staff|member of staff)\b",
        r"\b(transfer|connect|put) me (through|to|with)\b",
        r"\bhuman\b",
        r"\b(operator|receptionist)\b",
    ),
    Act.LEAVE: _any(
        r"\b(good ?bye|bye)\b",
        r"\bcall (you |u )?back\b",
        r"\b(gotta|got to|have to|need to|must) (go|run|leave|hang up)\b",
        r"\btalk (to you )?later\b",
        r"\b(call|try) (again )?later\b",
        r"\bhang up\b",
    ),
    Act.STALL: _any(
        r"\blet me (check|think|look|see|ask)\b",
        r"\b(i need to|ill|i will|i have to|i gotta|i must) (check|think|look at|ask)\b",
        r"\b(wait|hold on|hang on|one moment|a moment|a second|a sec|one sec|one minute|a minute)\b",
        r"\bnot (sure|yet)\b",
    ),
}

_MENTIONS = {
    "preferred_date": re.compile(r"\b(date|day)\b"),
    "preferred_time": re.compile(r"\b(time|hour)\b"),
    "purpose": re.compile(r"\b(purpose|topic|reason|subject)\b"),
    "user_name": re.compile(r"\b(name|spell|spelled|spelling)\b"),
}

_TAG = re.compile(r"\[[^\]]*\]")  # recogniser annotations such as [inaudible]
_FILLERS = frozenset(
    {
        "uh",
        "um",
        "er",
        "erm",
        "ah",
        "eh",
        "hm",
        "hmm",
        "mm",
        "oh",
        "well",
        "like",
        "so",
        "sorry",
        "the",
        "a",
        "an",
        "and",
        "i",
        "huh",
    }
)
_DRAWN_OUT_FILLER = re.compile(r"^(u+h+|u+m+|e+h+|e+r+m*|a+h+|h+m+|m+h*m*|o+h+)$")
_VOWEL = re.compile(r"[aeiouy]")


def normalize(text: str) -> str:
    """Lowercase words without apostrophes or punctuation (``I'd`` → ``id``), single-spaced."""
    lowered = text.lower().replace("’", "'").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9\[\]]+", " ", lowered).split())


def is_noise(text: str) -> bool:
    """True when nothing in the words could be an answer: tags, fillers, vowel-less fragments."""
    words = _TAG.sub(" ", normalize(text)).split()
    return all(
        word in _FILLERS or _DRAWN_OUT_FILLER.match(word) or (word.isalpha() and not _VOWEL.search(word))
        for word in words
    )


def detect_acts(text: str) -> frozenset[Act]:
    if is_noise(text):
        return frozenset({Act.NOISE})
    words = normalize(text)
    return frozenset(act for act, pattern in _PATTERNS.items() if pattern.search(words))


_QUESTION_START = re.compile(
    r"^(how|what|when|where|why|who|which|is|are|can|could|do|does|did|will|would|"
    r"should|may)\b"
)


def is_question(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.match(normalize(text)))


def mentioned_slot(text: str) -> str | None:
    """The slot a caller names without giving a value ("no, the time is wrong"), if exactly one."""
    words = normalize(text)
    named = [slot for slot, pattern in _MENTIONS.items() if pattern.search(words)]
    return named[0] if len(named) == 1 else None

"""Splitting a reply into the sentences that are synthesized, cached and streamed one by one.

The split runs on the text as written (so every chunk can carry its original
sentence for captions); the speech normalizer runs on each sentence afterwards.
A period ends a sentence only where a new one visibly starts: "Dr. Smith",
"e.g. your ID", "3 p.m. on Monday", "lui.example.org" and "3.5" stay whole.
Very long sentences are cut at a clause boundary so that one sentence never
holds back the first audio for long; the opening sentence is cut sooner (at its
first clause break past a few words), because the caller waits for it.
"""

from __future__ import annotations

import re

# Abbreviations after which a period never ends a sentence (compared lowercase, without the final dot).
_NEVER_FINAL = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "st",
    "no",
    "nr",
    "vs",
    "e.g",
    "i.e",
    "ca",
    "cf",
    "approx",
    "incl",
    "excl",
    "tel",
    "dept",
    "appt",
    "fig",
    "a.k.a",
    "mt",
}
_BLOCK_START = re.compile(r"^(?:[-*•+]|\d{1,2}[.)]|#{1,6})\s+")
_TERMINATOR = re.compile(r"(?:[.!?…]+)[\"'”’)\]]*(?=\s|$)")
_CLAUSE_BREAK = re.compile(r"[,;:](?=\s)|\s[-–—](?=\s)")


def _blocks(text: str) -> list[str]:
    """Paragraphs and list items; lines wrapped inside a paragraph are joined."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if (not stripped or _BLOCK_START.match(stripped)) and current:
            blocks.append(" ".join(current))
            current = []
        if stripped:
            current.append(stripped)
    if current:
        blocks.append(" ".join(current))
    return blocks


def _ends_sentence(block: str, match: re.Match[str]) -> bool:
    following = block[match.end() :].lstrip()
    if not following:
        return True
    if not match.group(0).startswith("."):
        return True
    words = block[: match.start()].split()
    previous = words[-1].lower() if words else ""
    if previous in _NEVER_FINAL or (len(previous) == 1 and previous.isalpha()):
        return False
    first = following[0]
    return first.isupper() or first.isdigit() or first in "\"'“‘([€$£"


def _sentences_of(block: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _TERMINATOR.finditer(block):
        if _ends_sentence(block, match):
            sentences.append(block[start : match.end()].strip())
            start = match.end()
    sentences.append(block[start:].strip())
    return [sentence for sentence in sentences if sentence]


def _cap(sentence: str, max_chars: int) -> list[str]:
    """Cut a too-long sentence after the last clause break (else the last space) before ``max_chars``."""
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        window = rest[: max_chars + 1]
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(window) if m.end() >= max_chars // 3]
        cut = breaks[-1] if breaks else window.rfind(" ")
        if cut <= 0:
            cut = max_chars
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


# A clause shorter than this would sound clipped on its own (and would save little time).
_MIN_CLAUSE_CHARS = 20


def _split_opening(sentence: str, max_chars: int) -> list[str]:
    """Cut a long opening sentence at its first natural pause, so the first audio leaves early.

    The pause may lie past ``max_chars``: synthesis time grows with length, so any earlier
    pause helps a long sentence, as long as neither part is clipped.
    """
    if len(sentence) <= max_chars:
        return [sentence]
    for match in _CLAUSE_BREAK.finditer(sentence):
        opening, rest = sentence[: match.end()].strip(), sentence[match.end() :].strip()
        if len(rest) < _MIN_CLAUSE_CHARS:
            break
        if len(opening) >= _MIN_CLAUSE_CHARS:
            return [opening, rest]
    return [sentence]


def split_sentences(text: str, max_chars: int = 300, opening_max_chars: int = 0) -> list[str]:
    """The sentences of ``text`` in order, none longer than ``max_chars``.

    With ``opening_max_chars``, a longer first sentence is also cut at its first
    clause break (when it has one that leaves neither part clipped).
    """
    pieces = [
        piece for block in _blocks(text) for sentence in _sentences_of(block) for piece in _cap(sentence, max_chars)
    ]
    if pieces and opening_max_chars:
        pieces[:1] = _split_opening(pieces[0], opening_max_chars)
    return pieces

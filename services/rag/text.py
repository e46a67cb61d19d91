"""Plain-text helpers: markdown to speakable text, sentence splitting, query normalisation."""

from __future__ import annotations

import re
import unicodedata

_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_CODE = re.compile(r"`+([^`]*)`+")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_HEADING_MARKER = re.compile(r"^\s{0,3}#{1,6}\s*")
_QUOTE_MARKER = re.compile(r"^\s*>\s?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SPACES = re.compile(r"\s+")

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = {
    "dr",
    "prof",
    "mr",
    "mrs",
    "ms",
    "st",
    "e.g",
    "i.e",
    "etc",
    "approx",
    "no",
    "nr",
    "vs",
    "incl",
    "dept",
    "ca",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')]?\s+(?=[\"“'(]?[A-Z0-9€$£])")


def is_list_item(line: str) -> bool:
    return bool(_LIST_MARKER.match(line))


def speakable(markdown: str) -> str:
    """One line of markdown as text a voice can read: no link syntax, emphasis, code marks or markers."""
    text = _HEADING_MARKER.sub("", markdown)
    text = _QUOTE_MARKER.sub("", text)
    text = _LIST_MARKER.sub("", text)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _CODE.sub(r"\1", text)
    for _ in range(2):  # nested emphasis such as ***bold italic***
        text = _EMPHASIS.sub(r"\2", text)
    if "|" in text:
        text = ", ".join(cell.strip() for cell in text.strip().strip("|").split("|") if cell.strip())
    return _SPACES.sub(" ", text).strip()


def is_table_rule(line: str) -> bool:
    return bool(_TABLE_RULE.match(line))


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph; keeps abbreviations such as "Dr." inside their sentence."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        pieces.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return [piece for piece in pieces if piece]


def as_sentence(text: str) -> str:
    """A fragment (e.g. a list item "€14.70 for the union,") closed as a sentence."""
    text = text.strip().rstrip(",;:").strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def normalize_query(query: str) -> str:
    """The cache identity of a query: case, accents' composition, spacing and end punctuation folded."""
    text = unicodedata.normalize("NFKC", query).casefold()
    text = _SPACES.sub(" ", text).strip()
    return text.strip(" ?!.,;:")

"""Heading-aware markdown chunking.

A document is split at its headings into sections; each section becomes one
chunk, or several when it is longer than ``size`` characters, cut between
sentences with about ``overlap`` characters repeated at the start of the next
piece. Text is stored as speakable sentences (list items become sentences), so
answers can be read aloud without further cleaning. The document title and the
section path travel with every chunk: they are indexed with its text, because a
heading often names what the sentences below only imply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from services.rag.sources import Document
from services.rag.text import as_sentence, is_list_item, is_table_rule, speakable, split_sentences

_FENCE = "```"
LIST_SENTENCE_MAX_CHARS = 400


@dataclass(frozen=True)
class Chunk:
    document: str
    category: str
    title: str
    section: str
    sentences: tuple[str, ...]
    position: int  # order of the chunk inside its document

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def chunk_id(self) -> str:
        return f"{self.document}#{self.position}"

    @property
    def context(self) -> str:
        """Title and section path: what the chunk is about."""
        parts = [self.title] if self.title else []
        if self.section and self.section != self.title:
            parts.append(self.section)
        return " — ".join(parts)

    @property
    def indexed_text(self) -> str:
        """What retrieval sees: the headings followed by the text."""
        return f"{self.context}. {self.text}" if self.context else self.text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.document}\x1f{self.indexed_text}".encode()).hexdigest()


@dataclass
class _Section:
    headings: list[str]
    units: list[str] = field(default_factory=list)


def _title_of(document: Document) -> str:
    for line in document.text.splitlines():
        if line.lstrip().startswith("# "):
            return speakable(line)
    return document.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ").capitalize()


def _list_of(lines: list[str]) -> tuple[str, list[str]] | None:
    """(lead-in text, items) of a list or table paragraph; None for running text."""
    if not any(is_list_item(line) or line.lstrip().startswith("|") for line in lines):
        return None
    lead: list[str] = []
    items: list[str] = []
    for line in lines:
        if is_table_rule(line):
            continue
        if is_list_item(line) or line.lstrip().startswith("|"):
            items.append(speakable(line))
        elif items:  # continuation line of the previous item
            items[-1] = f"{items[-1]} {speakable(line)}"
        else:
            lead.append(speakable(line))
    return " ".join(lead), [item for item in items if item]


def _clause(item: str) -> str:
    return item.strip().rstrip(",;.").strip()


def _add_paragraph(units: list[str], lines: list[str]) -> None:
    """Append a paragraph's sentences to ``units``.

    A short list introduced by a line ending in ":" is spoken as one sentence
    ("Please bring: your code; your LUIcard; …"), which keeps the lead-in and
    its items together for retrieval and answers; longer lists give one
    sentence per item.
    """
    listed = _list_of(lines)
    if listed is None:
        units.extend(split_sentences(speakable(" ".join(lines))))
        return
    lead, items = listed
    if lead:
        units.extend(split_sentences(lead))
    if units and units[-1].endswith(":"):
        merged = f"{units[-1]} {'; '.join(_clause(item) for item in items)}."
        if len(merged) <= LIST_SENTENCE_MAX_CHARS:
            units[-1] = merged
            return
    units.extend(as_sentence(item) for item in items)


def _sections(document: Document) -> tuple[str, list[_Section]]:
    title = _title_of(document)
    sections = [_Section(headings=[])]
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            _add_paragraph(sections[-1].units, paragraph)
            paragraph.clear()

    for line in document.text.splitlines():
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            in_fence = not in_fence
            continue
        if not in_fence and stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            if level <= 6 and stripped[level : level + 1] in (" ", ""):
                flush()
                heading = speakable(stripped)
                if level == 1:
                    sections.append(_Section(headings=[]))
                else:
                    parents = sections[-1].headings[: max(level - 2, 0)]
                    sections.append(_Section(headings=[*parents, heading]))
                continue
        if not stripped:
            flush()
        else:
            paragraph.append(stripped)
    flush()
    return title, [section for section in sections if section.units]


def _pack(units: list[str], size: int, overlap: int) -> list[list[str]]:
    """Groups of consecutive units of at most ``size`` characters, overlapping by ~``overlap``."""
    pieces: list[list[str]] = []
    current: list[str] = []
    for unit in _bounded(units, size):
        if current and len(" ".join([*current, unit])) > size:
            pieces.append(current)
            carried: list[str] = []
            for previous in reversed(current):
                if len(" ".join([previous, *carried])) > overlap or len(" ".join([previous, *carried, unit])) > size:
                    break
                carried.insert(0, previous)
            current = carried
        current.append(unit)
    if current:
        pieces.append(current)
    return pieces


def _bounded(units: list[str], size: int) -> list[str]:
    """Units no longer than ``size``: an overlong sentence is cut between words."""
    out: list[str] = []
    for unit in units:
        while len(unit) > size:
            cut = unit.rfind(" ", 0, size)
            cut = cut if cut > 0 else size
            out.append(unit[:cut].strip())
            unit = unit[cut:].strip()
        if unit:
            out.append(unit)
    return out


def chunk_document(document: Document, size: int = 800, overlap: int = 150) -> list[Chunk]:
    title, sections = _sections(document)
    chunks: list[Chunk] = []
    for section in sections:
        for piece in _pack(section.units, size, overlap):
            chunks.append(
                Chunk(
                    document=document.path,
                    category=document.category,
                    title=title,
                    section=" > ".join(section.headings),
                    sentences=tuple(piece),
                    position=len(chunks),
                )
            )
    return chunks

"""Lexical matching as BM25 over Qdrant sparse vectors.

Terms are lower-cased words with English stop words removed and a light suffix
stemmer applied, hashed to 31-bit indices. A document vector holds BM25's
saturated, length-normalised term frequency; Qdrant's IDF modifier multiplies in
the inverse document frequency at query time, so a sparse dot product is the
BM25 score. The same terms drive the choice of answer sentences.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)

_STOP_WORDS_TEXT = """a about above after again all also am an and any are as at be been before being below between both but by
    can could did do does doing down during each few for from further had has have having he her here hers him his
    how i if in into is it its itself just me more most my myself no nor not of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you
    your yours yourself please tell know want wanna gonna like um uh hi hello thanks thank need get got us let
    much many there's what's whats where's wheres how's hows can't cant don't dont i'm im i'd id"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def stem(word: str) -> str:
    """A deliberately light English stemmer: plurals, common verb endings and a final "e"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in (
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            if suffix == "es" and word.endswith(("ches", "shes", "xes", "zes")):
                replacement = ""
            word = word[: len(word) - len(suffix)] + replacement
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text``, in order, repeats kept."""
    words = (match.group(0).casefold().replace("’", "'") for match in _WORD.finditer(text))
    return [stem(word.replace("'", "")) for word in words if word not in STOP_WORDS]


def term_index(term: str) -> int:
    return zlib.crc32(term.encode()) & 0x7FFFFFFF


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


@dataclass(frozen=True)
class Bm25:
    """BM25 term-frequency part; ``average_length`` is measured on the corpus being indexed."""

    average_length: float
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def fit(cls, texts: Iterable[str]) -> Bm25:
        lengths = [len(terms(text)) for text in texts]
        return cls(average_length=max(sum(lengths) / max(len(lengths), 1), 1.0))

    def document_vector(self, text: str) -> SparseVector:
        counts = Counter(terms(text))
        length = sum(counts.values())
        norm = self.k1 * (1 - self.b + self.b * length / self.average_length)
        weights: dict[int, float] = {}
        for term, frequency in counts.items():
            index = term_index(term)
            weights[index] = weights.get(index, 0.0) + frequency * (self.k1 + 1) / (frequency + norm)
        return SparseVector(indices=list(weights), values=list(weights.values()))


def query_vector(text: str) -> SparseVector:
    """Each distinct query term once: with the IDF modifier the dot product is BM25."""
    indices = sorted({term_index(term) for term in terms(text)})
    return SparseVector(indices=indices, values=[1.0] * len(indices))

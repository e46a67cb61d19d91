"""Grounded, speakable answers chosen from retrieved passages.

Two decisions are made here. *Is anything relevant?* The evidence is the best
dense similarity plus a small bonus for how many of the question's content
words the top passages contain; below the calibrated threshold the caller hears
that nothing was found, never a guess. *What to say?* Every sentence of the
candidate sections is scored by its (pre-computed, section-aware) embedding
similarity to the question plus a bonus when it carries the kind of fact the
question asks for (an amount for "how much", a date for "when"…). The section
to read is the one whose best sentence, plus half the whole section's
similarity, scores highest. The answer is read from that single section: its best sentence plus the next best ones,
in document order, up to three sentences and a character budget, so it stays
short and coherent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from services.rag.answer_types import kind_match, wanted_kinds
from services.rag.lexical import terms

KIND_WEIGHT = 0.02  # bonus of a sentence holding the wanted kind of fact
SECTION_WEIGHT = 0.5  # weight of the whole section's similarity when choosing the section to read
COVERAGE_WEIGHT = 0.05  # bonus of the evidence score for question words found in the top passages
COVERAGE_PASSAGES = 3
CONFIDENCE_SCALE = 0.01  # evidence distance from the threshold that moves confidence from 0.5 to ~0.73
MAX_SENTENCES = 3
ANSWER_BUDGET_CHARS = 300


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk with what answering needs."""

    chunk_id: str
    document: str
    section: str
    category: str
    indexed_text: str
    sentences: tuple[str, ...]
    sentence_vectors: np.ndarray  # (len(sentences), dim), L2-normalised
    score: float  # fused retrieval score
    dense_score: float  # cosine similarity of the whole chunk to the question

    @property
    def snippet(self) -> str:
        text = " ".join(self.sentences)
        return text if len(text) <= 240 else text[:237].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Answer:
    text: str
    found: bool
    confidence: float
    passages: tuple[Passage, ...]  # the sources, best first; empty when nothing was found
    answer_passage: Passage | None


def evidence(question: str, best_dense: float, passages: list[Passage]) -> float:
    """Best dense similarity plus a bonus for the share of question words the top passages contain."""
    question_terms = set(terms(question))
    if not question_terms or not passages:
        return best_dense
    seen: set[str] = set()
    for passage in passages[:COVERAGE_PASSAGES]:
        seen.update(terms(passage.indexed_text))
    coverage = len(question_terms & seen) / len(question_terms)
    return best_dense + COVERAGE_WEIGHT * coverage


def confidence_of(score: float, threshold: float) -> float:
    return 1.0 / (1.0 + math.exp(-(score - threshold) / CONFIDENCE_SCALE))


def _sentence_scores(question: str, query_vector: np.ndarray, passage: Passage) -> np.ndarray:
    kinds = wanted_kinds(question)
    similarity = passage.sentence_vectors @ query_vector
    bonus = np.array([kind_match(kinds, sentence) for sentence in passage.sentences], dtype=np.float32)
    return np.asarray(similarity + KIND_WEIGHT * bonus, dtype=np.float32)


def best_sentences(question: str, query_vector: np.ndarray, passages: list[Passage]) -> tuple[Passage, list[int]]:
    """The section whose best sentence scores highest, and the sentences to read from it."""
    best: tuple[float, Passage, np.ndarray] | None = None
    for passage in passages:
        if not passage.sentences:
            continue
        scores = _sentence_scores(question, query_vector, passage)
        section_score = float(scores.max()) + SECTION_WEIGHT * passage.dense_score
        if best is None or section_score > best[0]:
            best = (section_score, passage, scores)
    if best is None:
        raise ValueError("no passage has sentences")
    _, passage, scores = best
    chosen: list[int] = []
    length = 0
    for index in np.argsort(-scores):
        sentence = passage.sentences[int(index)]
        if chosen and (len(chosen) >= MAX_SENTENCES or length + len(sentence) > ANSWER_BUDGET_CHARS):
            continue
        chosen.append(int(index))
        length += len(sentence) + 1
    return passage, sorted(chosen)


def compose(
    question: str,
    query_vector: np.ndarray,
    best_dense: float,
    passages: list[Passage],
    threshold: float,
    not_found: str,
) -> Answer:
    """The extractive answer to ``question`` from ``passages`` (best first)."""
    score = evidence(question, best_dense, passages)
    confidence = round(confidence_of(score, threshold), 4)
    if score < threshold or not any(passage.sentences for passage in passages):
        return Answer(text=not_found, found=False, confidence=confidence, passages=(), answer_passage=None)
    passage, indices = best_sentences(question, query_vector, passages)
    text = " ".join(passage.sentences[index] for index in indices)
    return Answer(text=text, found=True, confidence=confidence, passages=tuple(passages), answer_passage=passage)

import numpy as np

from services.rag.answer import ANSWER_BUDGET_CHARS, MAX_SENTENCES, Passage, compose, confidence_of, evidence

NOT_FOUND = "I'm sorry, I couldn't find that."
DIM = 4


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def passage(
    chunk_id: str, sentences: list[str], vectors: list[np.ndarray], dense: float = 0.8, text: str = ""
) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        document=f"{chunk_id}.md",
        section=chunk_id,
        category="library",
        indexed_text=text or " ".join(sentences),
        sentences=tuple(sentences),
        sentence_vectors=np.vstack(vectors),
        score=0.5,
        dense_score=dense,
    )


QUESTION_VECTOR = unit(1, 0, 0, 0)
HOURS = passage(
    "hours",
    ["The library has three floors.", "The library is open from 8 am to 10 pm.", "The café is on the ground floor."],
    [unit(0.5, 1, 0, 0), unit(1, 0.1, 0, 0), unit(0, 0, 1, 0)],
    dense=0.85,
)
FEES = passage("fees", ["Late returns cost €2 per day."], [unit(0.2, 0, 0, 1)], dense=0.80)


def test_answer_reads_the_best_sentences_of_the_best_section_in_document_order() -> None:
    answer = compose(
        "When is the library open?", QUESTION_VECTOR, 0.9, [FEES, HOURS], threshold=0.85, not_found=NOT_FOUND
    )
    assert answer.found
    assert answer.answer_passage is HOURS
    assert answer.text.startswith("The library has three floors. The library is open from 8 am to 10 pm.")
    assert answer.passages == (FEES, HOURS)
    assert "*" not in answer.text and "[" not in answer.text


def test_answer_is_at_most_three_sentences_within_the_budget() -> None:
    long = passage(
        "long",
        [f"Sentence {i} is about the library opening hours in some detail." for i in range(8)],
        [unit(1, i / 10, 0, 0) for i in range(8)],
    )
    answer = compose("library hours", QUESTION_VECTOR, 0.95, [long], threshold=0.85, not_found=NOT_FOUND)
    assert 1 <= answer.text.count(". ") + 1 <= MAX_SENTENCES
    assert len(answer.text) <= ANSWER_BUDGET_CHARS
    assert answer.text.startswith("Sentence 0")


def test_the_wanted_kind_of_fact_breaks_near_ties() -> None:
    vague = passage("vague", ["The office is friendly and helpful."], [unit(1, 0.10, 0, 0)])
    precise = passage("precise", ["The office is in room A0.14 of Building A."], [unit(1, 0.15, 0, 0)])
    assert float(vague.sentence_vectors[0] @ QUESTION_VECTOR) > float(precise.sentence_vectors[0] @ QUESTION_VECTOR)
    where = compose("Where is the office?", QUESTION_VECTOR, 0.95, [vague, precise], 0.85, NOT_FOUND)
    assert where.answer_passage is precise
    tell = compose("Tell me about the office", QUESTION_VECTOR, 0.95, [vague, precise], 0.85, NOT_FOUND)
    assert tell.answer_passage is vague


def test_weak_evidence_says_not_found_and_returns_no_sources() -> None:
    answer = compose("What's the weather like?", QUESTION_VECTOR, 0.80, [HOURS], threshold=0.85, not_found=NOT_FOUND)
    assert not answer.found
    assert answer.text == NOT_FOUND
    assert answer.passages == () and answer.answer_passage is None
    assert answer.confidence < 0.01


def test_evidence_rewards_question_words_found_in_the_top_passages() -> None:
    on_topic = evidence("library opening hours", 0.85, [HOURS])
    off_topic = evidence("bitcoin price", 0.85, [HOURS])
    assert off_topic == 0.85 < on_topic


def test_confidence_is_half_at_the_threshold_and_monotonic() -> None:
    assert confidence_of(0.875, 0.875) == 0.5
    assert confidence_of(0.80, 0.875) < confidence_of(0.88, 0.875) < confidence_of(0.95, 0.875) <= 1.0

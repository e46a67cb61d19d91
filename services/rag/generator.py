"""Optional answer generation by an OpenAI-compatible chat endpoint.

Off unless a base URL is configured. The model only rephrases what the
retrieved passages say; any failure (network, status, timeout, empty or odd
output) returns ``None`` and the caller keeps the extractive answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx

from services.rag.answer import MAX_SENTENCES, Passage
from services.rag.text import speakable, split_sentences

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are the voice assistant of an institute. Answer the caller's question using only the information "
    "in the passages. Reply in one to three short sentences of plain spoken English: no lists, no markdown, "
    "no links syntax, no headings. If the passages do not contain the answer, say that you could not find it."
)
MAX_ANSWER_CHARS = 600


class LlmGenerator:
    name = "llm"

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout_s: float = 4.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.client = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)

    @staticmethod
    def messages(question: str, passages: Sequence[Passage]) -> list[dict[str, str]]:
        context = "\n\n".join(
            f"[{number}] {passage.section or passage.document}: {' '.join(passage.sentences)}"
            for number, passage in enumerate(passages, start=1)
        )
        return [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Passages:\n{context}\n\nQuestion: {question}"},
        ]

    async def generate(self, question: str, passages: Sequence[Passage]) -> str | None:
        try:
            response = await self.client.post(
                "/chat/completions",
                json={
                    "model": self.model,
                    "messages": self.messages(question, passages),
                    "temperature": 0.0,
                    "max_tokens": 160,
                },
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
            log.warning("llm generation failed; using the extractive answer", extra={"error": str(error)[:200]})
            return None
        return _speakable_answer(content) if isinstance(content, str) else None

    async def close(self) -> None:
        await self.client.aclose()


def _speakable_answer(content: str) -> str | None:
    lines = [speakable(line) for line in content.splitlines() if line.strip()]
    sentences = split_sentences(" ".join(line for line in lines if line))[:MAX_SENTENCES]
    answer = " ".join(sentences)
    return answer if answer and len(answer) <= MAX_ANSWER_CHARS else None

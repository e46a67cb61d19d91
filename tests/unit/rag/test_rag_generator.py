"""The LLM adapter against real local HTTP servers: one that answers, one that fails, and none at all."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from services.rag.answer import Passage
from services.rag.generator import LlmGenerator
from services.stack.processes import free_port

PASSAGES = [
    Passage(
        chunk_id="library/opening-hours.md#0",
        document="library/opening-hours.md",
        section="Regular opening hours",
        category="library",
        indexed_text="",
        sentences=("The library is open from 8 am to 10 pm.",),
        sentence_vectors=np.zeros((1, 4)),
        score=1.0,
        dense_score=0.9,
    )
]


class _Handler(BaseHTTPRequestHandler):
    status = 200
    content = ""
    requests: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": self.content}}]})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode() if self.status == 200 else b'{"error": "overloaded"}')

    def log_message(self, *args: object) -> None:
        return


def serve(status: int, content: str) -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"status": status, "content": content, "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def answering_llm() -> Iterator[tuple[str, type[_Handler]]]:
    yield from serve(200, "**The library** is open from 8 am to 10 pm.\n- Every weekday. Extra. More. Too many.")


@pytest.fixture
def failing_llm() -> Iterator[tuple[str, type[_Handler]]]:
    yield from serve(503, "")


async def test_generated_answer_is_made_speakable_and_short(answering_llm: tuple[str, type[_Handler]]) -> None:
    url, handler = answering_llm
    generator = LlmGenerator(url, "tiny-model", api_key="secret", timeout_s=2)
    try:
        answer = await generator.generate("When is the library open?", PASSAGES)
    finally:
        await generator.close()
    assert answer == "The library is open from 8 am to 10 pm. Every weekday. Extra."
    request = handler.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    body = request["body"]
    assert isinstance(body, dict) and body["model"] == "tiny-model"
    assert "8 am to 10 pm" in json.dumps(body["messages"])


async def test_failing_or_missing_endpoint_gives_none(failing_llm: tuple[str, type[_Handler]]) -> None:
    url, handler = failing_llm
    for target in (url, f"http://127.0.0.1:{free_port()}/v1"):
        generator = LlmGenerator(target, "tiny-model", timeout_s=2)
        try:
            assert await generator.generate("When is the library open?", PASSAGES) is None
        finally:
            await generator.close()
    assert len(handler.requests) == 1  # the failing server was really asked

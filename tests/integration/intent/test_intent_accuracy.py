"""The packaged taxonomy on the real e5 model, over utterances written for these tests.

``utterances.jsonl`` is our own regression set (not the evaluation data): every label,
written and speech-recogniser style, hard negatives and answers given mid-booking.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from services.intent.context import Context
from services.intent.engine import IntentEngine
from services.intent.semantic import E5Embedder
from services.intent.taxonomy import load_taxonomy

pytestmark = pytest.mark.integration

UTTERANCES = Path(__file__).with_name("utterances.jsonl")
NOW = datetime(2026, 6, 10, 10, 30)
MIN_ACCURACY = 0.97


@pytest.fixture(scope="module")
def engine() -> IntentEngine:
    return IntentEngine(load_taxonomy(), E5Embedder())


def test_regression_utterances_are_classified(engine: IntentEngine) -> None:
    lines = [json.loads(row) for row in UTTERANCES.read_text(encoding="utf-8").splitlines() if row.strip()]
    misses = []
    labels: Counter[str] = Counter()
    for line in lines:
        context = line.get("context", {})
        result = engine.classify(line["text"], NOW, Context(expecting=context.get("expecting")))
        labels[line["intent"]] += 1
        if result.intent != line["intent"]:
            misses.append((line["text"], line["intent"], result.intent, result.method))
    assert len(labels) == 13
    assert 1 - len(misses) / len(lines) >= MIN_ACCURACY, misses

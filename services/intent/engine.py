"""Classify one caller turn: pattern rules → context → semantic neighbours, plus entities.

Order of decision:

1. Entities are extracted (with the slot the booking flow expects).
2. Slot filling (context): a turn that answers the expected slot is APPOINTMENT_SCHEDULING.
3. A rule at or above ``semantic.rule_accept`` decides on its own (no embedding: fast path).
4. A short turn that only states a date or time continues the appointment intent in progress.
5. Otherwise the semantic layer ranks all intents; a weaker rule and the context add priors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.common.timing import StageTimer
from services.intent.context import (
    APPOINTMENT_INTENTS,
    ESCAPES,
    Context,
    Decision,
    bare_fragment,
    priors,
    slot_filling,
)
from services.intent.enrich import enrich_query, strip_preamble
from services.intent.entities import Entities, extract_entities
from services.intent.rules import RuleHit, match_all, rule_text
from services.intent.semantic import Embedder, SemanticClassifier
from services.intent.taxonomy import Taxonomy
from services.intent.text import lower_clean, normalize

RULE, SEMANTIC, CONTEXT = "rule", "semantic", "context"
# Intents whose turns can carry a purpose; elsewhere "about X" is not a booking purpose.
PURPOSE_INTENTS = APPOINTMENT_INTENTS | {"AFFIRM", "DENY"}
# Turns whose dates and times are figures of speech ("that's all for today"), not values for a booking.
NO_SLOT_VALUES = frozenset({"GOODBYE", "REPEAT", "SMALLTALK", "OUT_OF_SCOPE"})
_QUESTION = re.compile(
    r"\?\s*$|^(?:what|what's|when|where|where's|which|who|whom|why|how|is|are|do|does|did|can|could|will|would|"
    r"should|may)\b"
)


@dataclass(frozen=True)
class Classification:
    intent: str
    confidence: float
    method: str  # rule, semantic or context
    alternatives: tuple[tuple[str, float], ...]
    entities: dict[str, str] = field(default_factory=dict)
    enriched_query: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "confidence": self.confidence,
            "method": self.method,
            "alternatives": [list(item) for item in self.alternatives],
            "entities": self.entities,
            "enriched_query": self.enriched_query,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Classification:
        return cls(
            intent=data["intent"],
            confidence=float(data["confidence"]),
            method=data["method"],
            alternatives=tuple((str(name), float(score)) for name, score in data["alternatives"]),
            entities={str(key): str(value) for key, value in data["entities"].items()},
            enriched_query=data["enriched_query"],
        )


class IntentEngine:
    """Stateless classifier for one agent's taxonomy (thread-safe; the embedder serialises itself)."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.taxonomy = taxonomy
        self._options = taxonomy.semantic
        examples = {intent: [normalize(text) for text in texts] for intent, texts in taxonomy.examples.items()}
        self._semantic = SemanticClassifier(examples, embedder, self._options.top_k, self._options.temperature)

    def classify(self, text: str, now: datetime, context: Context, timer: StageTimer | None = None) -> Classification:
        timer = timer or StageTimer()
        with timer.stage("normalize"):
            normalized = normalize(text) or lower_clean(text)
            words = rule_text(normalized)
        with timer.stage("entities"):
            entities = extract_entities(text, now, context.expecting)
        with timer.stage("rules"):
            hits = match_all(self.taxonomy.rules, words)
            core = strip_preamble(normalized)
            if core and core != normalized and not self._decides(hits):
                # "hi, quick question, where is …": judge the request without its opener.
                normalized, words = core, rule_text(core)
                hits = match_all(self.taxonomy.rules, words) or hits
        decision, method, alternatives = self._decide(normalized, words, entities, hits, context, timer)
        entities = self._entities_for(decision.intent, entities, text, now, context)
        return Classification(
            intent=decision.intent,
            confidence=round(decision.confidence, 4),
            method=method,
            alternatives=alternatives[: self._options.alternatives],
            entities=entities.as_dict(),
            enriched_query=enrich_query(normalized, context.in_booking),
        )

    def _decides(self, hits: list[RuleHit]) -> bool:
        return bool(hits) and hits[0].confidence >= self._options.rule_accept

    def _decide(
        self, normalized: str, words: str, entities: Entities, hits: list[RuleHit], context: Context, timer: StageTimer
    ) -> tuple[Decision, str, tuple[tuple[str, float], ...]]:
        rule = hits[0] if hits else None
        rule_decides = self._decides(hits)
        rule_alternatives = tuple((hit.intent, hit.confidence) for hit in hits)
        is_question = _QUESTION.search(normalized) is not None or _QUESTION.search(words) is not None
        with timer.stage("context"):
            filled = slot_filling(context, entities, rule.intent if rule else None, rule_decides)
            fragment = None if rule else bare_fragment(context, entities, len(words.split()), is_question)
        if filled:
            return filled, CONTEXT, _without(rule_alternatives, filled.intent)
        if rule is not None and rule_decides:
            return Decision(rule.intent, rule.confidence), RULE, rule_alternatives[1:]
        if fragment:
            return fragment, CONTEXT, _without(rule_alternatives, fragment.intent)
        with timer.stage("semantic"):
            similarities = self._semantic.similarities(normalized)
        adjusted = dict(similarities)
        if rule is not None:
            adjusted[rule.intent] += self._options.rule_hint_bonus
        context_bonus = priors(context, tuple(adjusted), is_question)
        with_context = {intent: score + context_bonus[intent] for intent, score in adjusted.items()}
        ranked = self._semantic.confidences(with_context)
        winner = next(iter(ranked))
        method = SEMANTIC
        if winner != max(adjusted, key=adjusted.__getitem__):
            method = CONTEXT
        elif rule is not None and winner == rule.intent and winner != max(similarities, key=similarities.__getitem__):
            method = RULE
        alternatives = tuple((intent, round(score, 4)) for intent, score in ranked.items() if intent != winner)
        return Decision(winner, ranked[winner]), method, alternatives

    @staticmethod
    def _entities_for(intent: str, entities: Entities, text: str, now: datetime, context: Context) -> Entities:
        """Entities that fit the decided intent: no slot answer for a side question, no purpose off-topic."""
        if context.expecting and intent in ESCAPES:
            entities = extract_entities(text, now)
        if intent not in PURPOSE_INTENTS:
            entities = replace(entities, purpose=None)
        if intent in NO_SLOT_VALUES:
            entities = replace(entities, date=None, time=None)
        return entities


def _without(alternatives: tuple[tuple[str, float], ...], intent: str) -> tuple[tuple[str, float], ...]:
    return tuple(item for item in alternatives if item[0] != intent)

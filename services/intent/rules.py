"""The pattern-rule layer: ordered regex rules from the taxonomy; the first firing rule is its answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.intent.taxonomy import Rule

_NOT_WORD = re.compile(r"[^a-z0-9'@+\s-]+|(?<![a-z0-9])['-]|['-](?![a-z0-9])")
_SPACES = re.compile(r"\s+")
# Discourse markers in front of the real request ("wait, what hours …", "oh and can I …").
_LEADING_MARKERS = re.compile(r"^(?:(?:wait|oh|so|well|actually|and|but|also|now|ok so|okay so|alright so)\s+)+(?=\S)")


@dataclass(frozen=True)
class RuleHit:
    intent: str
    confidence: float
    rule_index: int


def rule_text(normalized: str) -> str:
    """What rules match against: normalised text with punctuation dropped, one space between words."""
    return _LEADING_MARKERS.sub("", _SPACES.sub(" ", _NOT_WORD.sub(" ", normalized)).strip())


def _fires(rule: Rule, text: str) -> bool:
    return any(p.search(text) for p in rule.patterns) and not any(p.search(text) for p in rule.unless)


def match_all(rules: tuple[Rule, ...], text: str) -> list[RuleHit]:
    """Every firing rule, first per intent only, in rule order (the first one is the rule layer's answer)."""
    hits: list[RuleHit] = []
    for index, rule in enumerate(rules):
        if all(hit.intent != rule.intent for hit in hits) and _fires(rule, text):
            hits.append(RuleHit(rule.intent, rule.confidence, index))
    return hits

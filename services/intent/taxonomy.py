"""The intent taxonomy of one agent: labels, pattern rules and semantic examples, from YAML.

The default ships inside the package (``default_intents.yaml``); an operator mounts
another file with the same shape and points ``VA_INTENT_CONFIG_FILE`` at it. The file
is validated at start-up: an unknown label in a rule, a regex that does not compile or
an intent without examples stops the service with one readable message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.common.errors import ServiceError

DEFAULT_CONFIG = "default_intents.yaml"
_VOCABULARY_REFERENCE = re.compile(r"%([a-z_]+)%")


class InvalidTaxonomy(ServiceError):
    """The intent configuration file is unusable; the message says where and why."""


class SemanticOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    top_k: int = Field(3, ge=1, le=20, description="Neighbours per intent averaged into its score")
    temperature: float = Field(0.025, gt=0, le=1, description="Softmax temperature over cosine scores")
    rule_accept: float = Field(0.9, ge=0, le=1, description="Rule confidence that skips the semantic layer")
    rule_hint_bonus: float = Field(0.04, ge=0, le=1, description="Cosine bonus of a rule below rule_accept")
    alternatives: int = Field(3, ge=0, le=12, description="Ranked alternatives returned besides the winner")


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: str
    confidence: float = Field(ge=0, le=1)
    patterns: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)


class IntentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    examples: list[str] = Field(min_length=1)


class TaxonomySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    semantic: SemanticOptions = SemanticOptions()
    vocabulary: dict[str, str] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    intents: dict[str, IntentSpec] = Field(min_length=2)

    @model_validator(mode="after")
    def _rules_name_known_intents(self) -> TaxonomySpec:
        for index, rule in enumerate(self.rules):
            if rule.intent not in self.intents:
                raise ValueError(f"rules[{index}] names unknown intent {rule.intent!r}")
        return self


@dataclass(frozen=True)
class Rule:
    intent: str
    confidence: float
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Taxonomy:
    """A validated, compiled taxonomy. ``fingerprint`` changes whenever the file does."""

    intents: tuple[str, ...]
    examples: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    semantic: SemanticOptions
    fingerprint: str
    source: str


def _expand(pattern: str, vocabulary: dict[str, str], where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in vocabulary:
            raise InvalidTaxonomy(f"{where}: unknown vocabulary reference %{name}%")
        return vocabulary[name]

    # Vocabulary entries may reference earlier ones; two passes cover that.
    return _VOCABULARY_REFERENCE.sub(substitute, _VOCABULARY_REFERENCE.sub(substitute, pattern))


def _compile(pattern: str, vocabulary: dict[str, str], where: str) -> re.Pattern[str]:
    expanded = _expand(pattern, vocabulary, where)
    try:
        return re.compile(expanded)
    except re.error as error:
        raise InvalidTaxonomy(f"{where}: invalid regular expression ({error})") from None


def parse_taxonomy(text: str, source: str) -> Taxonomy:
    """Validate and compile the YAML ``text`` (``source`` names it in error messages)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidTaxonomy(f"{source}: not valid YAML ({error})") from None
    if not isinstance(raw, dict):
        raise InvalidTaxonomy(f"{source}: expected a mapping with 'intents' at the top level")
    for name in raw.get("intents") or {}:
        if not isinstance(name, str):
            raise InvalidTaxonomy(f"{source}: intent name {name!r} is not text (quote names such as 'YES' or 'NO')")
    try:
        spec = TaxonomySpec.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
        raise InvalidTaxonomy(f"{source}: {problems}") from None
    rules = tuple(
        Rule(
            intent=rule.intent,
            confidence=rule.confidence,
            patterns=tuple(_compile(p, spec.vocabulary, f"{source} rules[{i}]") for p in rule.patterns),
            unless=tuple(_compile(p, spec.vocabulary, f"{source} rules[{i}].unless") for p in rule.unless),
        )
        for i, rule in enumerate(spec.rules)
    )
    return Taxonomy(
        intents=tuple(spec.intents),
        examples={name: tuple(intent.examples) for name, intent in spec.intents.items()},
        rules=rules,
        semantic=spec.semantic,
        fingerprint=hashlib.sha256(text.encode()).hexdigest()[:16],
        source=source,
    )


def load_taxonomy(path: str = "") -> Taxonomy:
    """The operator's file at ``path``, or the packaged default when ``path`` is empty."""
    if not path:
        text = resources.files("services.intent").joinpath(DEFAULT_CONFIG).read_text(encoding="utf-8")
        return parse_taxonomy(text, DEFAULT_CONFIG)
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidTaxonomy(f"cannot read intent config {path}: {error.strerror or error}") from None
    return parse_taxonomy(text, str(file))

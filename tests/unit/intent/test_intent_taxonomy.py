"""Loading and validating the YAML taxonomy (packaged default and operator files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intent.taxonomy import InvalidTaxonomy, Taxonomy, load_taxonomy, parse_taxonomy

LABELS = {
    "GREETING",
    "GOODBYE",
    "SMALLTALK",
    "RAG_QUERY",
    "APPOINTMENT_SCHEDULING",
    "APPOINTMENT_CANCEL",
    "APPOINTMENT_RESCHEDULE",
    "APPOINTMENT_STATUS",
    "AFFIRM",
    "DENY",
    "HUMAN_HANDOFF",
    "REPEAT",
    "OUT_OF_SCOPE",
}
SMALL = """
vocabulary:
  yes_word: "(?:yes|yeah)"
rules:
  - intent: YES_PLEASE
    confidence: 0.95
    patterns: ["^%yes_word%$"]
intents:
  YES_PLEASE: {examples: ["yes", "sure"]}
  NO_THANKS: {examples: ["no"]}
"""


def test_default_taxonomy_has_the_thirteen_labels_with_varied_examples(taxonomy: Taxonomy) -> None:
    assert set(taxonomy.intents) == LABELS
    assert all(len(examples) >= 15 for examples in taxonomy.examples.values())
    assert taxonomy.source == "default_intents.yaml"


def test_operator_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "intents.yaml"
    path.write_text(SMALL)
    custom = load_taxonomy(str(path))
    assert custom.intents == ("YES_PLEASE", "NO_THANKS")
    assert custom.rules[0].patterns[0].pattern == "^(?:yes|yeah)$"
    assert custom.fingerprint != load_taxonomy().fingerprint
    path.write_text(SMALL.replace("sure", "of course"))
    assert load_taxonomy(str(path)).fingerprint != custom.fingerprint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("intents: [", "not valid YAML"),
        ("- a list", "expected a mapping"),
        (SMALL.replace("intent: YES_PLEASE", "intent: MAYBE"), "unknown intent 'MAYBE'"),
        (SMALL.replace("^%yes_word%$", "^(unclosed$"), r"rules\[0\]: invalid regular expression"),
        (SMALL.replace("%yes_word%", "%no_such%"), "unknown vocabulary reference %no_such%"),
        (SMALL.replace('NO_THANKS: {examples: ["no"]}', "NO_THANKS: {examples: []}"), "intents.NO_THANKS.examples"),
        (SMALL.replace("confidence: 0.95", "confidence: 7"), "confidence"),
        (SMALL + "surprise: 1\n", "surprise"),
        (SMALL.replace("NO_THANKS:", "NO:"), "quote names"),
    ],
)
def test_invalid_files_are_rejected_with_a_readable_message(text: str, message: str) -> None:
    with pytest.raises(InvalidTaxonomy, match=message):
        parse_taxonomy(text, "intents.yaml")


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InvalidTaxonomy, match="cannot read intent config"):
        load_taxonomy(str(tmp_path / "missing.yaml"))

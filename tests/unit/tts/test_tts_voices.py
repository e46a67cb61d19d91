"""The voice catalog: default voice per language, lookup, fallback voices."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInput
from services.tts.voices import VoiceCatalog, language_tag
from tests.unit.tts.tts_fakes import FakeEngine


def test_the_default_is_the_preferred_engine_voice_for_the_language(primary: FakeEngine, backup: FakeEngine) -> None:
    assert VoiceCatalog([primary, backup], "en").default.name == "joe"
    assert VoiceCatalog([primary, backup], "en-US").default.name == "joe"


def test_a_language_without_a_piper_voice_gets_espeak(primary: FakeEngine, backup: FakeEngine) -> None:
    assert VoiceCatalog([primary, backup], "de").default.name == "espeak-de"


def test_a_configured_default_wins_and_must_exist(primary: FakeEngine, backup: FakeEngine) -> None:
    assert VoiceCatalog([primary, backup], "en", "espeak-de").default.name == "espeak-de"
    with pytest.raises(InvalidInput, match="unknown voice 'nobody'"):
        VoiceCatalog([primary, backup], "en", "nobody")


def test_a_language_nobody_speaks_is_a_configuration_error(primary: FakeEngine) -> None:
    with pytest.raises(InvalidInput, match="no voice speaks the agent language 'fr'"):
        VoiceCatalog([primary], "fr")


def test_resolve_and_list(primary: FakeEngine, backup: FakeEngine) -> None:
    catalog = VoiceCatalog([primary, backup], "en")
    assert catalog.resolve("").name == "joe"
    assert catalog.resolve("espeak-de").engine == "espeak-ng"
    assert [v.name for v in catalog.voices()] == ["joe", "espeak-en-us", "espeak-de"]
    assert catalog.engine_of(catalog.resolve("joe")) is primary


def test_the_fallback_is_another_engine_for_the_same_language(primary: FakeEngine, backup: FakeEngine) -> None:
    catalog = VoiceCatalog([primary, backup], "en")
    fallback = catalog.fallback_for(catalog.resolve("joe"))
    assert fallback is not None and fallback.name == "espeak-en-us"
    assert catalog.fallback_for(catalog.resolve("espeak-de")) is None


@pytest.mark.parametrize(
    ("code", "tag"), [("en_US", "en-US"), ("en-us", "en-US"), ("de", "de"), ("en-gb-x-rp", "en-GB-x-rp")]
)
def test_language_tags(code: str, tag: str) -> None:
    assert language_tag(code) == tag

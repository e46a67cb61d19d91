import pytest
from pydantic import ValidationError

from services.rag.config import RagSettings


def test_defaults_match_the_issue() -> None:
    settings = RagSettings()
    assert (settings.chunk_size, settings.chunk_overlap, settings.top_k) == (800, 150, 5)
    assert settings.llm_base_url == ""  # the LLM is off unless configured


def test_environment_configures_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VA_CHUNK_SIZE", "500")
    monkeypatch.setenv("VA_CHUNK_OVERLAP", "100")
    monkeypatch.setenv("VA_KB_SOURCE", "s3://kb/leibniz")
    settings = RagSettings()
    assert (settings.chunk_size, settings.chunk_overlap, settings.kb_source) == (500, 100, "s3://kb/leibniz")


@pytest.mark.parametrize(("value", "threshold"), [("", None), ("0.5", 0.5)])
def test_an_empty_threshold_means_the_models_own(
    monkeypatch: pytest.MonkeyPatch, value: str, threshold: float | None
) -> None:
    monkeypatch.setenv("VA_RELEVANCE_THRESHOLD", value)
    assert RagSettings().relevance_threshold == threshold


@pytest.mark.parametrize(
    ("variable", "value"),
    [("VA_CHUNK_OVERLAP", "400"), ("VA_TOP_K", "30"), ("VA_EMBEDDING_MODEL", "bert"), ("VA_RELEVANCE_THRESHOLD", "x")],
)
def test_inconsistent_settings_are_rejected(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        RagSettings()

"""Preparing Moonshine for onnxruntime: once per cache directory, in a child process, all or nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.errors import BackendUnavailable
from services.stt import moonshine_model
from services.stt.moonshine import MoonshineRecognizer
from services.stt.moonshine_model import PARTS, TOKENIZER, prepared_moonshine_dir
from tests.support.speech import speech


def test_the_model_is_prepared_once_and_then_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = prepared_moonshine_dir(tmp_path)
    assert sorted(p.name for p in prepared.iterdir()) == sorted([*PARTS, TOKENIZER])
    assert prepared.stat().st_mode & 0o755 == 0o755  # readable by a container's unprivileged user
    assert [p.name for p in tmp_path.iterdir()] == [prepared.name]  # no scratch directory left behind
    text = MoonshineRecognizer(prepared, threads_per_worker=1).transcribe(speech("thank you very much"), "en").text
    assert "thank you" in text.lower()

    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("prepared again")

    monkeypatch.setattr(moonshine_model.subprocess, "run", no_child)
    assert prepared_moonshine_dir(tmp_path) == prepared


def test_an_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(BackendUnavailable, match=r"could not prepare the Moonshine model .* VA_STT_MODEL_CACHE"):
        prepared_moonshine_dir(blocker / "cache")


def test_a_missing_model_package_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moonshine_cpp" else find_spec(name, *a)
    )
    with pytest.raises(BackendUnavailable, match="pip install moonshine-cpp"):
        prepared_moonshine_dir(tmp_path)
    assert not any(tmp_path.iterdir())


def test_the_service_side_leaves_logging_alone() -> None:
    """onnxruntime's quantizer configures the root logger when imported; only the preparing child imports it."""
    probe = "import logging, services.stt.engine; print(len(logging.getLogger().handlers))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "0\n"

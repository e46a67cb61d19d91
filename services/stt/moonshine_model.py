"""Moonshine base (English), prepared once for onnxruntime on CPU and cached on disk.

``moonshine-cpp`` ships the model as ORT-format files whose int8 weights the graph
dequantizes on every run; onnxruntime does not optimize ORT-format models at load,
so each decoder step re-expanded 41 M weights (40–50 ms per token here, 1.3 s for a
5 s utterance). Prepared once, the files are read back into ONNX
(:mod:`services.stt.ort_format`), optimized by onnxruntime (constant folding expands
the weights once) and quantized again as int8 weight-only blocks that onnxruntime
multiplies with int8 arithmetic (``MatMulNBits``, blocks of 32, accuracy level 4).
On the dev clips the word error rate is unchanged and a decode takes p50 147 ms
instead of 1.3 s (227 ms with float32 weights, whose RSS is 619 MB instead of 346).

``python -m services.stt.moonshine_model <cache dir>`` prepares it ahead of time (the
container image does, at build time); otherwise the service does on its first start.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from services.common.errors import BackendUnavailable
from services.stt.models import moonshine_base_dir

log = logging.getLogger(__name__)

RECIPE = "int8-block32-level4"  # part of the cache key: change it when the preparation changes
PARTS = {"encoder.onnx": "encoder_model.ort", "decoder.onnx": "decoder_model_merged.ort"}
TOKENIZER = "tokenizer.bin"


def prepared_moonshine_dir(cache_root: Path) -> Path:
    """The prepared model's directory under ``cache_root``, prepared first if it is missing.

    Preparing takes ~8 s and ~1 GB at its peak, so it runs in a child process: the
    service's own memory never holds the intermediate models.
    """
    moonshine_base_dir()  # a missing package is its own clear error, before any child process
    target = _target(cache_root)
    if not _is_prepared(target):
        log.info("preparing Moonshine base for onnxruntime in %s (once, ~8 s)", target)
        child = subprocess.run([sys.executable, "-m", __name__, str(cache_root)], capture_output=True, text=True)
        if child.returncode != 0:
            reason = child.stderr.strip().splitlines()[-1] if child.stderr.strip() else f"exit {child.returncode}"
            raise BackendUnavailable(
                f"could not prepare the Moonshine model in {cache_root} ({reason}); "
                "point VA_STT_MODEL_CACHE at a writable directory"
            )
    return target


def _target(cache_root: Path) -> Path:
    return cache_root / f"moonshine-base-en-{version('moonshine-cpp')}-{RECIPE}"


def _is_prepared(directory: Path) -> bool:
    return all((directory / name).is_file() for name in [*PARTS, TOKENIZER])


def _prepare_into(cache_root: Path) -> Path:
    """Prepare into a scratch directory renamed into place: processes starting together never
    read a half-written model."""
    target = _target(cache_root)
    if _is_prepared(target):
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".moonshine-", dir=cache_root))
    try:
        prepare(moonshine_base_dir(), scratch)
        scratch.chmod(0o755)  # mkdtemp's 0700 would hide it from a container's unprivileged user
        try:
            scratch.rename(target)
        except OSError:  # another process finished first
            if not _is_prepared(target):
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def prepare(source: Path, target: Path) -> None:
    """Write ``encoder.onnx``, ``decoder.onnx`` and the tokenizer of the package's model to ``target``."""
    # Imported here, in the child process only: the quantizer's module configures the root logger
    # (INFO, its own format) when imported, which would garble the service's JSON logs.
    import onnx
    import onnxruntime
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

    from services.stt.ort_format import onnx_from_ort_format

    for prepared, packaged in PARTS.items():
        model = onnx_from_ort_format((source / packaged).read_bytes())
        optimized = target / f"{prepared}.optimized"
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(optimized)
        onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        del model
        config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, bits=8, accuracy_level=4)
        quantizer = MatMulNBitsQuantizer(onnx.load(optimized), algo_config=config)
        quantizer.process()
        quantizer.model.save_model_to_file(str(target / prepared), False)
        optimized.unlink()
    shutil.copyfile(source / TOKENIZER, target / TOKENIZER)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("onnxruntime.quantization").setLevel(logging.WARNING)  # one line per weight otherwise
    _prepare_into(Path(sys.argv[1]))

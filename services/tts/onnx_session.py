"""The onnxruntime session every tts engine runs its voice on: CPU, pinned thread counts, spinning off by default."""

from __future__ import annotations

from pathlib import Path

import onnxruntime


def cpu_session(
    model: Path, intra_op_threads: int, inter_op_threads: int, allow_spinning: bool
) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = inter_op_threads
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if allow_spinning else "0")
    return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])

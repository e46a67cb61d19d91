"""ORT-format models read back into ONNX compute what they computed before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from services.stt.ort_format import onnx_from_ort_format


def dequantizing_model_with_branches() -> onnx.ModelProto:
    """int8 weights dequantized in the graph (like Moonshine's) and an If whose branches read them."""
    weights = np.arange(-6, 6, dtype=np.int8).reshape(4, 3)
    scale = np.array([0.5, 0.25, 2.0], dtype=np.float32)
    nodes = [
        helper.make_node("Cast", ["w_int8"], ["w_cast"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["w_cast", "scale"], ["w"]),
    ]
    then_branch = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["then_y"])],
        "then",
        [],
        [helper.make_tensor_value_info("then_y", TensorProto.FLOAT, [1, 3])],
    )
    else_branch = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["product"]), helper.make_node("Neg", ["product"], ["else_y"])],
        "else",
        [],
        [helper.make_tensor_value_info("else_y", TensorProto.FLOAT, [1, 3])],
    )
    nodes.append(helper.make_node("If", ["flag"], ["y"], then_branch=then_branch, else_branch=else_branch))
    graph = helper.make_graph(
        nodes,
        "dequantizing",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("flag", TensorProto.BOOL, [1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(weights, "w_int8"), numpy_helper.from_array(scale, "scale")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)


def as_ort_format(model: onnx.ModelProto, path: Path) -> bytes:
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.optimized_model_filepath = str(path)
    options.add_session_config_entry("session.save_model_format", "ORT")
    onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return path.read_bytes()


def run(model: bytes, flag: bool) -> np.ndarray:
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    x = np.array([[1.0, -2.0, 3.0, 0.5]], dtype=np.float32)
    return session.run(None, {"x": x, "flag": np.array([flag])})[0]


def test_an_ort_format_model_reads_back_into_an_equivalent_onnx_model(tmp_path: Path) -> None:
    original = dequantizing_model_with_branches()
    ort_bytes = as_ort_format(original, tmp_path / "model.ort")
    restored = onnx_from_ort_format(ort_bytes)
    onnx.checker.check_model(restored, full_check=True)
    assert [n.op_type for n in restored.graph.node] == ["Cast", "Mul", "If"]
    for flag in (True, False):
        expected = run(original.SerializeToString(), flag)
        np.testing.assert_array_equal(run(restored.SerializeToString(), flag), expected)
        np.testing.assert_array_equal(run(ort_bytes, flag), expected)


def test_other_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="not an ORT-format model"):
        onnx_from_ort_format(dequantizing_model_with_branches().SerializeToString())

"""Read an ORT-format model (``.ort``) back into an ONNX model.

ORT format is onnxruntime's deployment format: a flatbuffer of the graph, loaded
as is, without graph optimizations. The nodes and tensors map one to one onto
ONNX's, read here with onnxruntime's own flatbuffers bindings, so the model can be
optimized and quantized again like any ONNX model (see :mod:`services.stt.moonshine_model`).
"""

from __future__ import annotations

from typing import Any

import onnx
import onnxruntime.tools.ort_format_model  # noqa: F401  (puts ort_flatbuffers_py on sys.path)
from onnx import helper
from ort_flatbuffers_py import fbs

_ATTRIBUTE = fbs.AttributeType.AttributeType


def onnx_from_ort_format(data: bytes) -> onnx.ModelProto:
    """The ONNX model held by an ORT-format file."""
    buffer = bytearray(data)
    if not fbs.InferenceSession.InferenceSession.InferenceSessionBufferHasIdentifier(buffer, 0):
        raise ValueError("not an ORT-format model")
    model = fbs.InferenceSession.InferenceSession.GetRootAsInferenceSession(buffer, 0).Model()
    opsets = [
        helper.make_opsetid(model.OpsetImport(i).Domain().decode(), model.OpsetImport(i).Version())
        for i in range(model.OpsetImportLength())
    ]
    graph = _graph(model.Graph(), "main")
    return helper.make_model(graph, opset_imports=opsets, ir_version=model.IrVersion())


def _tensor(tensor: Any) -> onnx.TensorProto:
    """The tensor's raw bytes as they are (ORT format and ONNX share the data type codes)."""
    dims = [tensor.Dims(i) for i in range(tensor.DimsLength())]
    raw = tensor.RawDataAsNumpy().tobytes() if tensor.RawDataLength() else b""
    return helper.make_tensor(tensor.Name().decode(), tensor.DataType(), dims, raw, raw=True)


def _value_info(name: str, type_info: Any) -> onnx.ValueInfoProto:
    if type_info is None:
        return helper.make_empty_tensor_value_info(name)
    value = type_info.Value()
    tensor_type = fbs.TensorTypeAndShape.TensorTypeAndShape()
    tensor_type.Init(value.Bytes, value.Pos)
    shape = tensor_type.Shape()
    dims: list[int | str | None] | None = None
    if shape is not None:
        dims = []
        for i in range(shape.DimLength()):
            dim = shape.Dim(i).Value()
            if dim is None:
                dims.append(None)
            elif dim.DimType() == fbs.DimensionValueType.DimensionValueType.VALUE:
                dims.append(dim.DimValue())
            else:
                dims.append((dim.DimParam() or b"").decode() or None)
    return helper.make_tensor_value_info(name, tensor_type.ElemType(), dims)


def _attribute(attribute: Any) -> onnx.AttributeProto:
    name = attribute.Name().decode()
    kind = attribute.Type()
    if kind == _ATTRIBUTE.FLOAT:
        return helper.make_attribute(name, attribute.F())
    if kind == _ATTRIBUTE.INT:
        return helper.make_attribute(name, attribute.I())
    if kind == _ATTRIBUTE.STRING:
        return helper.make_attribute(name, attribute.S())
    if kind == _ATTRIBUTE.TENSOR:
        return helper.make_attribute(name, _tensor(attribute.T()))
    if kind == _ATTRIBUTE.GRAPH:
        return helper.make_attribute(name, _graph(attribute.G(), name))
    if kind == _ATTRIBUTE.FLOATS:
        values = [attribute.Floats(i) for i in range(attribute.FloatsLength())]
        return helper.make_attribute(name, values, attr_type=onnx.AttributeProto.FLOATS)
    if kind == _ATTRIBUTE.INTS:
        values = [attribute.Ints(i) for i in range(attribute.IntsLength())]
        return helper.make_attribute(name, values, attr_type=onnx.AttributeProto.INTS)
    if kind == _ATTRIBUTE.STRINGS:
        values = [attribute.Strings(i) for i in range(attribute.StringsLength())]
        return helper.make_attribute(name, values, attr_type=onnx.AttributeProto.STRINGS)
    raise ValueError(f"unsupported attribute type {kind} ({name})")


def _graph(graph: Any, name: str) -> onnx.GraphProto:
    """One graph level (subgraphs, such as an ``If`` node's branches, recursively)."""
    initializers = [_tensor(graph.Initializers(i)) for i in range(graph.InitializersLength())]
    constant = {tensor.name for tensor in initializers}
    types = {}
    for i in range(graph.NodeArgsLength()):
        arg = graph.NodeArgs(i)
        types[arg.Name().decode()] = arg.Type()
    nodes = []
    for i in range(graph.NodesLength()):
        node = graph.Nodes(i)
        proto = helper.make_node(
            node.OpType().decode(),
            [node.Inputs(j).decode() for j in range(node.InputsLength())],
            [node.Outputs(j).decode() for j in range(node.OutputsLength())],
            name=node.Name().decode(),
            domain=node.Domain().decode(),
        )
        proto.attribute.extend(_attribute(node.Attributes(j)) for j in range(node.AttributesLength()))
        nodes.append(proto)
    inputs = [graph.Inputs(i).decode() for i in range(graph.InputsLength())]
    outputs = [graph.Outputs(i).decode() for i in range(graph.OutputsLength())]
    return helper.make_graph(
        nodes,
        name,
        [_value_info(x, types.get(x)) for x in inputs if x not in constant],
        [_value_info(x, types.get(x)) for x in outputs],
        initializers,
    )

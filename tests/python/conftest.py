"""Fixtures of the convopt Python package's tests (run by ctest: tests/CMakeLists.txt
sets PYTHONPATH to build/python and names the CLI and the shared models)."""

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

SHARED_MODELS = Path(os.environ.get("CONVOPT_SHARED_MODELS", Path(__file__).parents[3] / "shared" / "models"))
CONVOPT = os.environ.get("CONVOPT_BINARY", "convopt")
# The shared models whose dense convs hide grouped, depthwise or separable ones (MANIFEST.md).
STRUCTURED_MODELS = ["mobilenet_v2_lite_dense_dw", "regnet_x_400mf_lite_dense", "regnet_x_400mf_lite_splitconcat",
                     "sepnet_merged"]


def shared_model_names():
    if not SHARED_MODELS.is_dir():
        return []
    return sorted(d.name for d in SHARED_MODELS.iterdir() if (d / "model.onnx").is_file())


def shared_model(name):
    path = SHARED_MODELS / name / "model.onnx"
    if not path.is_file():
        pytest.skip(f"shared model {name} not found under {SHARED_MODELS}")
    return path


def read_tensor(path):
    return numpy_helper.to_array(onnx.load_tensor(str(path)))


def block_diagonal_conv_model(batch="N"):
    """x[batch,32,12,12] -> Conv 3x3 whose dense weight is block-diagonal with 2
    groups (dense-to-grouped rewrites it) -> Relu -> y."""
    rng = np.random.default_rng(7)
    weight = np.zeros((32, 32, 3, 3), np.float32)
    for g in range(2):
        weight[16 * g:16 * g + 16, 16 * g:16 * g + 16] = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(32).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"], name="relu")],
        "block_diagonal", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [batch, 32, 12, 12])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [batch, 32, 12, 12])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="convopt-tests")


def reference_conv(x, model):
    """What block_diagonal_conv_model computes, in NumPy."""
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    w, b = weights["w"], weights["b"]
    n, c, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd), np.float64)
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", padded[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    return np.maximum(out + b[None, :, None, None], 0)


def separable_model():
    """x[1,32,112,112] -> depthwise 3x3 -> Relu -> 1x1 conv to 16 -> y: a 1.6 MB
    intermediate that only the 1x1 conv reads (ring fusion takes it)."""
    rng = np.random.default_rng(5)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.3, name)
               for name, shape in (("wd", (32, 1, 3, 3)), ("wp", (16, 32, 1, 1)))]
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "wd"], ["d"], pads=[1, 1, 1, 1], group=32),
         helper.make_node("Relu", ["d"], ["a"]), helper.make_node("Conv", ["a", "wp"], ["y"])],
        "separable", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 32, 112, 112])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 16, 112, 112])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])



@pytest.fixture
def tiny_model():
    return block_diagonal_conv_model()

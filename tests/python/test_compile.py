"""convopt.compile: `convopt compile -o DIR` from Python (the artifacts themselves: tests/aot)."""

import json
import subprocess

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import convopt
from conftest import CONVOPT, block_diagonal_conv_model, separable_model


def test_compile_writes_the_c_api_and_reports_it(tmp_path):
    info = convopt.compile(block_diagonal_conv_model(batch="N"), tmp_path / "out", name="tiny",
                           input_shapes={"x": (2, 32, 12, 12)})
    assert sorted(info["files"]) == ["tiny.h", "tiny.json", "tiny.o", "tiny.weights"]
    for file in info["files"]:
        assert (tmp_path / "out" / file).is_file()
    described = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert described["inputs"][0]["shape"] == [2, 32, 12, 12]
    assert info["kernels"] >= 1 and info["triple"].startswith(("x86_64", "aarch64"))


def test_the_object_is_the_same_whatever_the_jobs(tmp_path):
    objects = []
    for jobs in (1, 2):
        convopt.compile(separable_model(), tmp_path / str(jobs), name="m", jobs=jobs)
        objects.append((tmp_path / str(jobs) / "m.o").read_bytes())
    assert objects[0] and objects[0] == objects[1]


def test_the_default_name_is_the_model_files(tmp_path):
    import onnx

    path = tmp_path / "my-net.onnx"
    onnx.save(block_diagonal_conv_model(batch=1), str(path))
    info = convopt.compile(path, tmp_path / "out", format="static")
    assert sorted(info["files"]) == ["libmy_net.a", "my_net.h", "my_net.json", "my_net.weights"]


def test_dynamic_dims_need_shapes(tmp_path):
    with pytest.raises(convopt.InputError, match="input 'x' has dynamic dims"):
        convopt.compile(block_diagonal_conv_model(batch="N"), tmp_path / "out", name="tiny")
    assert not (tmp_path / "out").exists()


def test_ring_fusion_can_be_turned_off(tmp_path):
    fused = convopt.compile(separable_model(), tmp_path / "fused")
    apart = convopt.compile(separable_model(), tmp_path / "apart", ring_fusion=False)
    assert apart["kernels"] == fused["kernels"] + 1  # the depthwise and 1x1 convs: one kernel or two


def test_the_kernel_choices_measured_for_its_thread_count_are_taken(tmp_path, monkeypatch):
    # A 16-channel 3x3 conv the estimate keeps direct; this host's tuning cache
    # (its entry made by `bench --roofline`) says F(4x4) at 1 thread.
    weights = np.random.default_rng(3).standard_normal((16, 16, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], "conv3x3",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 16, 10, 10])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 16, 10, 10])],
        [numpy_helper.from_array(weights, "w")])
    model_path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), model_path)
    monkeypatch.setenv("CONVOPT_CACHE_DIR", str(tmp_path / "cache"))
    subprocess.run([CONVOPT, "bench", str(model_path), "--threads", "1", "--runs", "1", "--roofline"], check=True,
                   capture_output=True)
    cache_file = tmp_path / "cache" / "tuning.json"
    cache = json.loads(cache_file.read_text())
    (host,) = cache["hosts"].values()
    host["winograd"] = {"n1_conv3x3_s1_d1_g1_c16x10x10_o16_p1_1_1_1": 4}
    cache_file.write_text(json.dumps(cache))

    def explanation(out, **options):
        return convopt.compile(model_path, tmp_path / out, optimize=False, **options)["explanation"]

    assert "winograd F(4x4,3x3)" in explanation("one", threads=1)
    assert "winograd F(4x4,3x3)" not in explanation("estimated", threads=1, measured=False)
    assert "winograd F(4x4,3x3)" not in explanation("two", threads=2)


def test_a_negative_thread_count_is_refused(tmp_path):
    with pytest.raises(convopt.InputError, match="threads must be >= 0"):
        convopt.compile(separable_model(), tmp_path / "out", threads=-1)
    assert not (tmp_path / "out").exists()

"""convopt.compile: `convopt compile -o DIR` from Python (the artifacts themselves: tests/aot)."""

import json

import pytest

import convopt
from conftest import block_diagonal_conv_model, separable_model


def test_compile_writes_the_c_api_and_reports_it(tmp_path):
    info = convopt.compile(block_diagonal_conv_model(batch="N"), tmp_path / "out", name="tiny",
                           input_shapes={"x": (2, 32, 12, 12)})
    assert sorted(info["files"]) == ["tiny.h", "tiny.json", "tiny.o", "tiny.weights"]
    for file in info["files"]:
        assert (tmp_path / "out" / file).is_file()
    described = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert described["inputs"][0]["shape"] == [2, 32, 12, 12]
    assert info["kernels"] >= 1 and info["triple"].startswith(("x86_64", "aarch64"))


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

"""Bad input raises convopt.InputError (a ValueError) with the CLI's message; nothing crashes."""

import numpy as np
import onnx
import pytest
from onnx import helper

import convopt
from conftest import block_diagonal_conv_model


def test_bytes_that_are_not_a_model():
    with pytest.raises(convopt.InputError, match="not an ONNX model"):
        convopt.optimize(b"\x08\x07garbage")
    with pytest.raises(ValueError):  # InputError is a ValueError
        convopt.Session(block_diagonal_conv_model().SerializeToString()[:40])


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(convopt.InputError, match="nope.onnx: no such file"):
        convopt.inspect(tmp_path / "nope.onnx")


def test_something_that_is_no_model_at_all():
    with pytest.raises(TypeError, match="onnx.ModelProto, bytes or a path"):
        convopt.optimize(42)


def test_a_conv_with_stride_zero_names_the_node_and_attribute():
    model = block_diagonal_conv_model(batch=1)
    model.graph.node[0].attribute.append(helper.make_attribute("strides", [0, 1]))
    for call in (convopt.optimize, convopt.inspect, convopt.Session):
        with pytest.raises(convopt.InputError, match=r"conv.*strides"):
            call(model)


def test_the_html_report_never_replaces_the_model_it_reads(tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(block_diagonal_conv_model(), path)
    before = path.read_bytes()
    with pytest.raises(convopt.InputError, match="it is the input .*model.onnx', which convopt never overwrites"):
        convopt.optimize(path, html=path)
    assert path.read_bytes() == before


def test_numbers_out_of_range_are_input_errors_not_type_errors():
    with pytest.raises(convopt.InputError, match="threads must be >= 0 and below 2\\*\\*31"):
        convopt.Session(block_diagonal_conv_model(), threads=2**31)
    with pytest.raises(convopt.InputError, match="seed must be >= 0"):
        convopt.optimize(block_diagonal_conv_model(), seed=-1)


def test_unknown_pass_names():
    with pytest.raises(convopt.InputError, match="no-such-pass"):
        convopt.optimize(block_diagonal_conv_model(), passes=["no-such-pass"])


def test_feeds_of_the_wrong_name_shape_or_dtype():
    session = convopt.Session(block_diagonal_conv_model(batch=1), threads=1)
    x = np.zeros((1, 32, 12, 12), np.float32)
    with pytest.raises(convopt.InputError, match="'z'"):
        session.run({"x": x, "z": x})
    with pytest.raises(convopt.InputError, match="'x'"):
        session.run({"x": np.zeros((1, 32, 12, 11), np.float32)})
    with pytest.raises(convopt.InputError, match="'x'"):
        session.run({"x": x.astype(np.float64)})
    with pytest.raises(convopt.InputError, match="'x'.*dtype"):
        session.run({"x": np.array([["a"]], dtype=object)})
    with pytest.raises(convopt.InputError, match="output 'nope'"):
        session.run(["nope"], {"x": x})


def test_a_model_over_the_memory_limit_is_refused_naming_the_tensor():
    model = block_diagonal_conv_model(batch=1)
    convopt.set_max_memory("16K")  # the input and output need 18 KiB each
    try:
        with pytest.raises(convopt.InputError, match="'x'.*over the memory limit of 16 KiB"):
            convopt.Session(model)
    finally:
        convopt.set_max_memory(None)
    convopt.Session(model)


def test_compile_into_a_file_that_is_not_a_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(convopt.InputError):
        convopt.compile(block_diagonal_conv_model(batch=1), blocker, name="tiny")
    assert blocker.read_text() == ""

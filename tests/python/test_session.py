"""convopt.Session: the JIT engine on NumPy arrays, shaped like onnxruntime.InferenceSession."""

import json
import subprocess

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import convopt
from conftest import (CONVOPT, block_diagonal_conv_model, read_tensor, reference_conv, separable_model, shared_model,
                      shared_model_names)


@pytest.mark.parametrize("name", shared_model_names())
def test_run_matches_the_onnxruntime_goldens_of_every_shared_model(name):
    data = shared_model(name).parent / "test_data_set_0"
    inputs = sorted(data.glob("input_*.pb"))
    expected = [read_tensor(path) for path in sorted(data.glob("output_*.pb"))]
    session = convopt.Session(shared_model(name), threads=2)
    feeds = {arg.name: read_tensor(path) for arg, path in zip(session.get_inputs(), inputs)}
    actual = session.run(None, feeds)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):  # run --check's default tolerance (README)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_run_takes_a_dict_and_returns_a_dict_of_every_output():
    model = block_diagonal_conv_model(batch=1)
    session = convopt.Session(model, threads=1)
    assert session.input_names == ["x"] and session.output_names == ["y"]
    assert [(a.name, a.shape, a.type) for a in session.get_inputs()] == [("x", [1, 32, 12, 12], "tensor(float)")]
    x = np.random.default_rng(0).standard_normal((1, 32, 12, 12)).astype(np.float32)
    outputs = session.run({"x": x})
    assert list(outputs) == ["y"]
    np.testing.assert_allclose(outputs["y"], reference_conv(x, model), rtol=1e-4, atol=1e-4)
    assert np.array_equal(session.run(["y"], {"x": x})[0], outputs["y"])


def test_a_dynamic_batch_compiles_once_per_batch_size():
    model = block_diagonal_conv_model(batch="N")
    session = convopt.Session(model, threads=1)
    assert session.get_inputs()[0].shape == ["N", 32, 12, 12]
    rng = np.random.default_rng(1)
    for batch in (1, 3, 1):
        x = rng.standard_normal((batch, 32, 12, 12)).astype(np.float32)
        y = session.run({"x": x})["y"]
        np.testing.assert_allclose(y, reference_conv(x, model), rtol=1e-4, atol=1e-4)
    assert session.explain().count("compiled for") == 2


def test_outputs_are_numpy_arrays_handed_over_without_a_copy():
    session = convopt.Session(block_diagonal_conv_model(batch=1), threads=1)
    y = session.run({"x": np.ones((1, 32, 12, 12), np.float32)})["y"]
    assert isinstance(y.base, object) and y.base is not None and not y.flags.owndata
    assert y.flags.c_contiguous and y.flags.writeable


def test_strided_and_fortran_ordered_inputs_are_read_by_value():
    model = block_diagonal_conv_model(batch=1)
    session = convopt.Session(model, threads=1)
    x = np.random.default_rng(2).standard_normal((1, 32, 12, 24)).astype(np.float32)[:, :, :, ::2]
    expected = session.run({"x": np.ascontiguousarray(x)})["y"]
    assert np.array_equal(session.run({"x": x})["y"], expected)
    assert np.array_equal(session.run({"x": np.asfortranarray(x)})["y"], expected)


def test_input_shapes_fix_dynamic_dims_at_creation():
    session = convopt.Session(block_diagonal_conv_model(batch="N"), input_shapes={"x": (2, 32, 12, 12)})
    assert session.get_inputs()[0].shape == [2, 32, 12, 12]
    assert "compiled for x=[2,32,12,12]" in session.explain()


def test_the_python_example_optimizes_reports_and_runs_the_demo_model(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[2]
    result = subprocess.run([sys.executable, str(root / "examples" / "python" / "optimize_and_run.py"),
                             str(root / "models" / "demo.onnx"), str(tmp_path / "out.onnx"), str(tmp_path / "r.html")],
                            check=True, capture_output=True, text=True)
    assert "optimized: 4 rewrites" in result.stdout and "logits: shape [1, 10]" in result.stdout
    assert (tmp_path / "out.onnx").stat().st_size > 0 and "<svg" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("fixed_threads", [False, True])
def test_two_threads_adaptive_or_fixed_give_the_single_threaded_result_every_run(fixed_threads):
    model = block_diagonal_conv_model(batch=1)
    x = np.random.default_rng(1).standard_normal((1, 32, 12, 12)).astype(np.float32)
    want = convopt.Session(model, threads=1).run({"x": x})["y"]
    session = convopt.Session(model, threads=2, fixed_threads=fixed_threads)
    for _ in range(12):  # past the thread choice's warm-up, so adaptive runs also use one thread
        np.testing.assert_array_equal(session.run({"x": x})["y"], want)


@pytest.mark.parametrize("winograd", ["off", "f2", "f4"])
def test_winograd_tiles_compute_the_convolution(winograd):
    model = block_diagonal_conv_model(batch=1)
    session = convopt.Session(model, threads=1, winograd=winograd)
    x = np.random.default_rng(3).standard_normal((1, 32, 12, 12)).astype(np.float32)
    np.testing.assert_allclose(session.run({"x": x})["y"], reference_conv(x, model), rtol=1e-4, atol=1e-4)
    assert ("winograd" in session.explain()) == (winograd != "off")


def test_an_unknown_winograd_mode_is_refused():
    with pytest.raises(convopt.InputError, match="winograd 'f3'"):
        convopt.Session(block_diagonal_conv_model(batch=1), winograd="f3")


def test_ring_fusion_is_on_by_default_and_gives_the_same_result_off():
    model = separable_model()
    x = np.random.default_rng(4).standard_normal((1, 32, 112, 112)).astype(np.float32)
    fused, apart = convopt.Session(model, threads=1), convopt.Session(model, threads=1, ring_fusion=False)
    np.testing.assert_allclose(fused.run({"x": x})["y"], apart.run({"x": x})["y"], rtol=1e-5, atol=1e-5)
    assert "ringfused" in fused.explain() and "ringfused" not in apart.explain()


def test_measured_choices_of_the_tuning_cache_are_taken_unless_turned_off(tmp_path, monkeypatch):
    # `bench --tune` writes this host's entry for the model's one conv layer (1x1, 64 -> 256 channels
    # at 28x28: several tiles of output channels and rows, so at least the unit order is in play);
    # the test then sets it to each variant in turn: those in play show in the explanation.
    rng = np.random.default_rng(8)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], "pointwise",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 64, 28, 28])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 256, 28, 28])],
        [numpy_helper.from_array(rng.standard_normal((256, 64, 1, 1)).astype(np.float32), "w")])
    model_path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), model_path)
    monkeypatch.setenv("CONVOPT_CACHE_DIR", str(tmp_path / "cache"))
    subprocess.run([CONVOPT, "bench", str(model_path), "--threads", "1", "--runs", "1", "--tune", "--tune-seconds",
                    "1"], check=True, capture_output=True)
    cache_file = tmp_path / "cache" / "tuning.json"
    cache = json.loads(cache_file.read_text())
    (host,) = cache["hosts"].values()
    assert len(host["variants"]) == 1, cache
    x = rng.standard_normal((1, 64, 28, 28)).astype(np.float32)
    estimated = convopt.Session(model_path, threads=1, fixed_threads=True, measured=False)
    assert "(measured)" not in estimated.explain()
    taken = []
    for variant in ("one-sweep", "no-unroll", "other-order"):
        host["variants"] = {key: variant for key in host["variants"]}
        cache_file.write_text(json.dumps(cache))
        measured = convopt.Session(model_path, threads=1, fixed_threads=True)
        if f"{variant} (measured)" in measured.explain():
            taken.append(variant)
        np.testing.assert_allclose(measured.run({"x": x})["y"], estimated.run({"x": x})["y"], rtol=1e-5, atol=1e-5)
    assert "other-order" in taken


def test_kernels_compiled_once_are_kept_in_the_cache_folder_unless_told_not_to(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVOPT_CACHE_DIR", str(tmp_path))
    kernels = tmp_path / "kernels"
    x = np.random.default_rng(3).standard_normal((1, 32, 12, 12)).astype(np.float32)
    model = block_diagonal_conv_model(batch=1)
    fresh = convopt.Session(model, threads=1, kernel_cache=False).run({"x": x})["y"]
    assert not kernels.exists()
    kept = convopt.Session(model, threads=1).run({"x": x})["y"]
    if not kernels.exists():
        pytest.skip("this build has no GNU build id: it keeps no kernels")
    entries = list(kernels.iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".objects"
    session = convopt.Session(model, threads=1)
    loaded = session.run({"x": x})["y"]
    assert list(kernels.iterdir()) == entries
    assert f"kernels: loaded from the kernel cache ({kernels})" in session.explain()
    assert np.array_equal(fresh, kept) and np.array_equal(kept, loaded)

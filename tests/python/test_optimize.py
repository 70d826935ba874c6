"""convopt.optimize and convopt.inspect: the CLI's optimize and inspect --json, from Python."""

import subprocess

import onnx
import pytest

import convopt
from conftest import CONVOPT, STRUCTURED_MODELS, shared_model


def test_a_model_proto_goes_in_and_a_rewritten_verified_model_proto_comes_out(tiny_model):
    optimized, report = convopt.optimize(tiny_model)
    assert isinstance(optimized, onnx.ModelProto)
    onnx.checker.check_model(optimized)
    conv = next(n for n in optimized.graph.node if n.op_type == "Conv")
    assert next(a.i for a in conv.attribute if a.name == "group") == 2
    assert report.totals["rewrites"] == 1
    assert [r["pass"] for r in report.rewrites] == ["dense-to-grouped"]
    assert report.verify["equivalent"] is True and report.verify["scope"] == "model"
    assert "dense-to-grouped" in report.log
    assert [a.name for a in tiny_model.graph.node[0].attribute] == ["pads"]  # the caller's model is untouched


def test_an_empty_pipeline_round_trips_the_model_unchanged(tiny_model):
    same, report = convopt.optimize(tiny_model, passes=[])
    assert report.passes == [] and report.totals["rewrites"] == 0
    assert same.graph == tiny_model.graph
    assert same.opset_import == tiny_model.opset_import and same.producer_name == "convopt-tests"


def test_bytes_and_paths_are_accepted_as_models(tiny_model, tmp_path):
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_model, str(path))
    from_bytes, _ = convopt.optimize(tiny_model.SerializeToString())
    from_path, _ = convopt.optimize(path)
    from_str, _ = convopt.optimize(str(path))
    assert from_bytes == from_path == from_str


@pytest.mark.parametrize("name", STRUCTURED_MODELS)
def test_optimize_writes_what_the_cli_writes_byte_for_byte(name, tmp_path):
    model = shared_model(name)
    written = tmp_path / "cli.onnx"
    subprocess.run([CONVOPT, "optimize", str(model), "-o", str(written)], check=True, capture_output=True)
    optimized, report = convopt.optimize(model)
    assert report.totals["rewrites"] > 0
    assert optimized.SerializeToString() == written.read_bytes()


def test_chosen_passes_and_shapes_reach_the_pipeline(tiny_model):
    _, report = convopt.optimize(tiny_model, passes="dense-to-depthwise,dce", input_shapes={"x": (2, 32, 12, 12)})
    assert [p["pass"] for p in report.passes] == ["dense-to-depthwise", "dce"]
    assert report.totals["rewrites"] == 0
    frozen, _ = convopt.optimize(tiny_model, passes=[], input_shapes=["x=3x32x12x12"], freeze_shapes=True)
    assert frozen.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 3


def test_for_runtime_picks_the_cost_model_the_report_names(tiny_model, tmp_path):
    _, report = convopt.optimize(tiny_model, for_runtime="onnxruntime")
    assert report.cost_model["runtime"] == "onnxruntime" and report.cost_model["source"] == "built-in"
    with pytest.raises(convopt.InputError, match="no cost table for runtime 'tvm'"):
        convopt.optimize(tiny_model, for_runtime="tvm")
    missing = tmp_path / "missing.json"
    with pytest.raises(convopt.InputError, match="cannot read cost table"):
        convopt.optimize(tiny_model, cost_table=missing)


def test_approx_is_reported_as_approximate(tiny_model):
    _, exact = convopt.optimize(tiny_model)
    assert "approximate" not in exact
    _, report = convopt.optimize(tiny_model, approx=0.01)
    assert report.approximate["budget"] == 0.01 and report.approximate["inputs"] == "seeded random"
    assert report.approximate["model_error"] <= 0.01


def test_inspect_is_the_cli_inspect_json(tiny_model, tmp_path):
    import json

    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_model, str(path))
    cli = subprocess.run([CONVOPT, "inspect", str(path), "--json", "--input-shape", "x=1x32x12x12"], check=True,
                         capture_output=True, text=True)
    summary = convopt.inspect(tiny_model, input_shapes={"x": [1, 32, 12, 12]})
    assert summary == json.loads(cli.stdout)
    assert [(c["name"], c["kind"], c["macs"]) for c in summary["convs"]] == [("conv", "dense", 32 * 32 * 9 * 12 * 12)]


def test_html_writes_the_report_a_user_opens(tiny_model, tmp_path):
    page = tmp_path / "report.html"
    convopt.optimize(tiny_model, html=page)
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert 'class="node op changed"' in text and "dense-to-grouped: block-diagonal weight" in text
    assert "http://" not in text.replace("http://www.w3.org/", "")  # self-contained: nothing to fetch


def test_html_into_a_missing_folder_is_an_input_error(tiny_model, tmp_path):
    with pytest.raises(convopt.InputError, match="report.html"):
        convopt.optimize(tiny_model, html=tmp_path / "missing" / "report.html")

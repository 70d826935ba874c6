"""Architectures beyond the shared models (scripts/bench/make_architecture_models.py:
ConvNeXt with NHWC LayerNorm and GELU, a wav2vec2-style 1-D encoder, a UNet with
instance and group norms, a YOLO-style distribution head, a tf2onnx-style net of
explicit Pads, a 1-D ConvTranspose vocoder): every node runs as a generated kernel
(none falls back to the reference interpreter, where they once cost 4-25x), and
the outputs at 1 and 2 threads match the reference interpreter's, which match
onnxruntime's where it is installed."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONVOPT

REPO = Path(__file__).parents[2]
ARCHITECTURES = ["convnext", "convnext20", "wav2vec", "unet", "yolo_head", "tf_pad", "vocoder"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    out = tmp_path_factory.mktemp("architectures")
    subprocess.run([sys.executable, str(REPO / "scripts/bench/make_architecture_models.py"), str(out)], check=True,
                   capture_output=True)
    return out


def convopt(*args):
    return subprocess.run([CONVOPT, *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_node_is_a_kernel_and_matches_the_reference(models, name):
    model, data = models / name / "model.onnx", models / name / "test_data_set_0"
    reference = convopt("run", model, "--engine", "reference", "--output-dir", data)
    assert reference.returncode == 0, reference.stderr
    explain = convopt("run", model, "--explain")
    assert "\n0 fallback node(s)" in explain.stdout, explain.stdout
    for threads in (1, 2):
        check = convopt("run", model, "--check", data, "--threads", threads)
        assert check.returncode == 0, check.stdout + check.stderr
        assert ": ok, max abs error" in check.stdout, check.stdout


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_the_reference_agrees_with_onnxruntime(models, name):
    data = models / name / "test_data_set_0"
    if not data.is_dir():
        assert convopt("run", models / name / "model.onnx", "--engine", "reference", "--output-dir",
                       data).returncode == 0
    try:
        peer = subprocess.run(["node", str(REPO / "scripts/ort/run_model.mjs"), str(models / name / "model.onnx"),
                               str(data)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("node is not installed (scripts/install-deps.sh installs it)")
    if peer.returncode == 77:
        pytest.skip("onnxruntime-node is not installed (scripts/install-deps.sh installs it)")
    assert peer.returncode == 0, peer.stdout + peer.stderr

"""`pip install .` from the repository, offline, gives a package the system python3 imports."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("CONVOPT_SOURCE_DIR", Path(__file__).parents[2]))


def test_pip_install_from_the_repository_into_a_venv(tmp_path):
    venv = tmp_path / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"python3 -m venv is unavailable (Debian python3-venv): {made.stderr.strip()}")
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index", "--quiet",
                    str(SOURCE_DIR)], check=True, env=environment, cwd=tmp_path)
    check = ("import convopt, pathlib; print(pathlib.Path(convopt.__file__).parent); "
             "print(convopt.inspect(open('model.bin', 'rb').read())['totals']['dense'])")
    from conftest import block_diagonal_conv_model

    (tmp_path / "model.bin").write_bytes(block_diagonal_conv_model().SerializeToString())
    result = subprocess.run([str(venv / "bin" / "python"), "-c", check], check=True, env=environment, cwd=tmp_path,
                            capture_output=True, text=True)
    installed, convs = result.stdout.split()
    assert Path(installed).is_relative_to(venv) and convs == "1"

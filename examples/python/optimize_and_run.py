"""What a Python program does with convopt: optimize a model (verified), write
the HTML report, save the result, and run it on convopt's JIT engine.

    python3 examples/python/optimize_and_run.py MODEL.onnx OPTIMIZED.onnx [REPORT.html]
"""

import sys

import numpy as np
import onnx

import convopt


def main(model_path, optimized_path, report_path=None):
    optimized, report = convopt.optimize(model_path, html=report_path)
    onnx.save(optimized, optimized_path)
    print(f"optimized: {report.totals['rewrites']} rewrites, written to {optimized_path}")
    session = convopt.Session(optimized, threads=2)
    rng = np.random.default_rng(0)
    feeds = {}
    for arg in session.get_inputs():  # dynamic dims: 1
        shape = [d if isinstance(d, int) else 1 for d in arg.shape]
        feeds[arg.name] = rng.standard_normal(shape).astype(np.float32)
    for name, value in session.run(feeds).items():
        print(f"{name}: shape {list(value.shape)}, first {value.flat[0]:.6g}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:4])

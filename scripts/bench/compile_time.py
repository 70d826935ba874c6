#!/usr/bin/env python3
"""How long `convopt run` takes from start to exit on each shared model (loading,
lowering, compiling the kernels, one inference): the time a user waits for a
first result, most of it LLVM's. Runs each binary at each thread count in
alternating rounds of fresh processes and prints a Markdown table of each one's
best time over the rounds, in seconds. Each process gets a cache folder of its
own holding only the user's tuning.json: the kernels are compiled, not read
from the kernel cache (codegen/engine/object_cache.h); with --warm, a first
unmeasured run fills that folder and the measured one reads them.

Usage: scripts/bench/compile_time.py [--threads 1,2] [--rounds 2] [--warm] [--models DIR]
       [NAME=BINARY ...]
(default: build/tools/convopt as "convopt"). Each model is fed its
test_data_set_0/input_0.pb, which fixes any dynamic dims. Needs python3-onnx.
"""
import argparse
import math
import os
import shutil
import subprocess
import tempfile
import time

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def first_input(model_path):
    graph = onnx.load(model_path, load_external_data=False).graph
    initializers = {t.name for t in graph.initializer}
    return next(i.name for i in graph.input if i.name not in initializers)


def users_tuning_cache():
    for variable, below in (("CONVOPT_CACHE_DIR", ""), ("XDG_CACHE_HOME", "convopt"), ("HOME", ".cache/convopt")):
        if os.environ.get(variable):
            return os.path.join(os.environ[variable], below, "tuning.json")
    return None


def seconds(binary, model_dir, input_name, threads, warm):
    model = os.path.join(model_dir, "model.onnx")
    data = os.path.join(model_dir, "test_data_set_0", "input_0.pb")
    command = [binary, "run", model, "--threads", str(threads), "--input", f"{input_name}={data}"]
    with tempfile.TemporaryDirectory() as cache:
        tuning = users_tuning_cache()
        if tuning and os.path.exists(tuning):
            shutil.copy(tuning, cache)
        env = dict(os.environ, CONVOPT_CACHE_DIR=cache)
        if warm:
            subprocess.run(command, capture_output=True, env=env)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(f"<!-- {' '.join(command)} failed: {done.stderr.strip()[-300:]} -->")
        return math.nan
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="*", help="NAME=BINARY (default convopt=build/tools/convopt)")
    parser.add_argument("--threads", default="1,2", help="thread counts, comma separated (default 1,2)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per model (default 2)")
    parser.add_argument("--warm", action="store_true", help="time runs whose kernels are in the kernel cache")
    parser.add_argument("--models", default=os.path.join(ROOT, "..", "shared", "models"),
                        help="folder of model folders (default ../shared/models)")
    args = parser.parse_args()
    binaries = [b.split("=", 1) for b in args.binaries] or [["convopt", os.path.join(ROOT, "build/tools/convopt")]]
    columns = [(name, binary, int(t)) for name, binary in binaries for t in args.threads.split(",")]
    models = sorted(d for d in os.listdir(args.models) if os.path.exists(os.path.join(args.models, d, "model.onnx")))
    print("| model | " + " | ".join(f"{name}, {t} thread(s) s" for name, _, t in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for model in models:
        model_dir = os.path.join(args.models, model)
        input_name = first_input(os.path.join(model_dir, "model.onnx"))
        times = [[seconds(binary, model_dir, input_name, threads, args.warm) for _, binary, threads in columns]
                 for _ in range(args.rounds)]
        cells = ["failed" if any(math.isnan(t) for t in column) else f"{min(column):.2f}" for column in zip(*times)]
        print(f"| {model} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

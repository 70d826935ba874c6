#!/usr/bin/env python3
"""Two configurations of convopt.Session compared inside one process: one
session of each per model and thread count, alternating rounds of runs, so a
host whose speed drifts by tens of percent within minutes (cloud VMs) moves
both sides alike. Prints a Markdown table: each side's median over the rounds
and the median of the per-round ratios (A / B: above 1, B is faster), with its
range. With more than one thread, each round first measures how far apart the
cores are (convopt.core_round_trip_ns: a cache line's round trip between two
threads; runtime/core_round_trip.h), and the table adds the ratio over the
rounds whose cores were near (round trip under --near-ns, default 250: cores
sharing a cache) and far, with their counts: a VM that moves its vCPUs
switches between both within minutes, and a change can help in one state only.

A side is Session keyword arguments and environment variables set while its
sessions are made, one K=V per --a / --b (repeat for more), e.g.
  ring fusion off vs on:   --a ring_fusion=False --b ring_fusion=True
  tuned variants vs not:   --a CONVOPT_CACHE_DIR=/tmp/tiles-only --b CONVOPT_CACHE_DIR=/tmp/tuned
(a NAME in capitals is an environment variable; values are Python literals).
Sessions compile their kernels afresh (kernel_cache=False unless a side sets
it): a side changing only how LLVM compiles, not the kernels' IR, would
otherwise load the other side's objects from the kernel cache.

Usage: scripts/bench/session_ab.py --a K=V [--a K=V...] --b K=V [...] [--rounds 11] [--runs 40]
       [--threads 1,2] [--near-ns 250] [MODEL_DIR...]
(default models: the shared ones with ring-fused convs). Needs the Python
package of a build (build/python) and numpy; the models' test_data_set_0
inputs are fed (their shapes fix any dynamic dims).
"""
import argparse
import ast
import os
import platform
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "build", "python"))
import convopt  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import onnx  # noqa: E402

DEFAULT_MODELS = ["mobilenet_v2", "efficientnet_b0", "sepnet", "ppocr_v4_det"]


def first_inputs(model_dir):
    data = os.path.join(model_dir, "test_data_set_0")
    model = onnx.load(os.path.join(model_dir, "model.onnx"), load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in initializers]
    feeds = {}
    for k, name in enumerate(names):
        tensor = onnx.TensorProto()
        with open(os.path.join(data, f"input_{k}.pb"), "rb") as f:
            tensor.ParseFromString(f.read())
        feeds[name] = numpy_helper.to_array(tensor)
    return feeds


def median_ms(session, feeds, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def side(settings):
    """K=V strings -> (Session keyword arguments, environment variables)."""
    kwargs, env = {}, {}
    for setting in settings:
        key, _, value = setting.partition("=")
        if key.isupper():
            env[key] = value
        else:
            kwargs[key] = ast.literal_eval(value)
    return kwargs, env


def make_session(path, threads, shapes, kwargs, env):
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return convopt.Session(path, threads=threads, input_shapes=shapes, fixed_threads=True,
                               **{"kernel_cache": False, **kwargs})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def by_state(ratios, trips, near_ns):
    """The round-trip range, then the median ratio of the near and of the far rounds with their counts."""
    if not trips:
        return "– | – | –"
    cells = [f"{min(trips):.0f}–{max(trips):.0f}"]
    for chosen in ([r for r, t in zip(ratios, trips) if t < near_ns], [r for r, t in zip(ratios, trips) if t >= near_ns]):
        cells.append(f"{statistics.median(chosen):.3f} ({len(chosen)})" if chosen else "– (0)")
    return " | ".join(cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", action="append", default=[], help="a setting of side A, K=V (repeatable)")
    parser.add_argument("--b", action="append", default=[], help="a setting of side B, K=V (repeatable)")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--threads", type=lambda s: [int(t) for t in s.split(",")], default=[1, 2],
                        help="thread counts, comma-separated (default 1,2)")
    parser.add_argument("--near-ns", type=float, default=250,
                        help="rounds whose cores' round trip is below this count as near (default 250)")
    parser.add_argument("models", nargs="*")
    args = parser.parse_args()
    sides = [side(args.a), side(args.b)]
    models = args.models or [os.path.join(ROOT, "..", "shared", "models", m) for m in DEFAULT_MODELS]
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{args.rounds} alternating rounds of {args.runs} runs in one process, fixed threads")
    print(f"A: {' '.join(args.a) or '(defaults)'}; B: {' '.join(args.b) or '(defaults)'}")
    print()
    print("| model | threads | A ms | B ms | A / B (median of rounds) | range | round trip ns | A / B near (rounds) "
          "| A / B far (rounds) |")
    print("|---|---:|---:|---:|---:|---|---|---:|---:|")
    for model_dir in models:
        feeds = first_inputs(model_dir)
        shapes = {name: value.shape for name, value in feeds.items()}
        path = os.path.join(model_dir, "model.onnx")
        for threads in args.threads:
            sessions = [make_session(path, threads, shapes, kwargs, env) for kwargs, env in sides]
            for session in sessions:
                median_ms(session, feeds, args.runs)  # warm up
            rounds, trips = [], []
            for k in range(args.rounds):  # A first in even rounds, B first in odd ones
                if threads > 1:
                    trips.append(convopt.core_round_trip_ns())
                order = sessions if k % 2 == 0 else sessions[::-1]
                times = [median_ms(s, feeds, args.runs) for s in order]
                rounds.append(times if k % 2 == 0 else times[::-1])
            ratios = [a / b for a, b in rounds]
            print(f"| {os.path.basename(os.path.normpath(model_dir))} | {threads} "
                  f"| {statistics.median(r[0] for r in rounds):.3f} | {statistics.median(r[1] for r in rounds):.3f} "
                  f"| {statistics.median(ratios):.3f} | {min(ratios):.2f}–{max(ratios):.2f} "
                  f"| {by_state(ratios, trips, args.near_ns)} |", flush=True)


if __name__ == "__main__":
    main()

"""convopt: rewrites ONNX convolutions into grouped / depthwise form, exactly
and verified, and compiles models with LLVM into CPU kernels.

    import convopt
    optimized, report = convopt.optimize("model.onnx")   # or an onnx.ModelProto, or bytes
    session = convopt.Session(optimized, threads=2)
    outputs = session.run({"input": x})                  # {name: numpy.ndarray}

Errors in the model or the arguments raise convopt.InputError (a ValueError)
with the message the CLI prints. The GIL is released while convopt optimizes,
compiles and runs, so other Python threads go on.
"""

import os

import numpy as np

from . import _convopt
from ._convopt import InputError

__version__ = _convopt.__version__
__all__ = ["optimize", "inspect", "Session", "compile", "Report", "NodeArg", "InputError", "VerificationError",
           "set_max_memory", "core_round_trip_ns"]


class VerificationError(RuntimeError):
    """The optimized model's outputs differ from the original's beyond tolerance
    (the CLI's exit code 1: convopt's fault, not the model's). `report` holds the check."""

    def __init__(self, message, report):
        super().__init__(message)
        self.report = report


class Report(dict):
    """What `convopt optimize --report FILE` writes, as Python objects: keys
    "passes", "rewrites", "totals", "pipeline_seconds" and "verify" (when
    checked), readable as attributes too (report.rewrites). `log` is the text
    the CLI prints."""

    def __init__(self, data, log):
        super().__init__(data)
        self.log = log

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


class NodeArg:
    """An input or output as onnxruntime's get_inputs() describes it: name,
    shape (ints; a str or None where dynamic) and type ("tensor(float)")."""

    def __init__(self, name, shape, type):
        self.name, self.shape, self.type = name, shape, type

    def __repr__(self):
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape!r})"


def _model_source(model):
    """bytes of a ModelProto, or a path: what the extension reads."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    if isinstance(model, (str, os.PathLike)):
        return model
    if hasattr(model, "SerializeToString"):  # onnx.ModelProto
        return model.SerializeToString()
    raise TypeError(f"model: expected an onnx.ModelProto, bytes or a path, not {type(model).__name__}")


def _shape_specs(input_shapes):
    """{"x": (1, 3, 224, 224)} or ["x=1x3x224x224"] -> the CLI's NAME=DIMS specs."""
    if not input_shapes:
        return []
    if isinstance(input_shapes, dict):
        return [f"{name}={'x'.join(str(int(d)) for d in dims)}" for name, dims in input_shapes.items()]
    return [str(spec) for spec in input_shapes]


def _thread_count(threads):
    """None -> 0 (one per core), as the CLI's --threads 0; a count outside [0, 2**31) is an InputError."""
    if threads is not None and not 0 <= int(threads) < 2**31:
        raise InputError(f"threads must be >= 0 and below 2**31 (None: one per core), not {threads}")
    return int(threads or 0)


def _seed(seed):
    """A seed of the random inputs: an integer in [0, 2**64), as the CLI's --seed."""
    if not 0 <= int(seed) < 2**64:
        raise InputError(f"seed must be >= 0 and below 2**64, not {seed}")
    return int(seed)


def _pipeline(passes):
    if passes is None or isinstance(passes, str):
        return passes
    return ",".join(passes)


def set_max_memory(size):
    """As the CLI's --max-memory ("512M", "4G"): refuse models whose tensors (one
    tensor, or a compiled model's intermediates at once) need more. None restores
    the default, half of physical memory."""
    _convopt.set_max_memory(None if size is None else str(size))


def core_round_trip_ns():
    """How far apart two of this machine's cores are as convopt's threads feel it:
    nanoseconds for a cache line to go from one thread to another and back, as
    `convopt bench --threads N` prints it (runtime/core_round_trip.h). About 10 ms."""
    return _convopt.core_round_trip_ns()


def optimize(model, *, passes=None, input_shapes=None, verify=True, approx=None, verify_local=False, seed=1,
             tolerance=1e-4, min_gain=None, force=False, freeze_shapes=False, html=None, profile_json=None,
             for_runtime=None, cost_table=None, calibration=None):
    """Runs the rewrite pipeline (`convopt optimize`) and returns
    (onnx.ModelProto, Report). The model given is never modified.

    passes: names (list or comma-separated) instead of the default pipeline.
    input_shapes: {"x": (1, 3, 224, 224)} for dynamic dims, used by the cost
        model and the check; the result keeps them dynamic unless freeze_shapes.
    for_runtime: the runtime the result is headed for, "convopt" (default) or
        "onnxruntime" (`optimize --for`): its cost model decides which rewrites pay.
    cost_table: a table measured by `convopt calibrate` (`--cost-table`).
    verify: compare outputs before and after on the reference interpreter
        (seeded inputs `seed`, `tolerance`); a mismatch raises VerificationError.
    html: write the HTML report there (`optimize --html`): the graph before and
        after with the rewrites highlighted, every conv, where the time goes
        (measured, from `convopt bench --profile --json` saved as profile_json).
    approx: a relative error budget (e.g. 0.01) for approximate rewrites of
        nearly structured convs (`--approx`); None (default): exact rewrites only.
    calibration: with approx, a folder of inputs to measure the error on
        (`--calibration`; default seeded random inputs).
    """
    import onnx

    data, report_json, log, equivalent = _convopt.optimize(
        _model_source(model), _pipeline(passes), _shape_specs(input_shapes), freeze_shapes, verify, verify_local,
        _seed(seed), tolerance, min_gain, force, os.fspath(html) if html else "",
        os.fspath(profile_json) if profile_json else "", for_runtime or "",
        os.fspath(cost_table) if cost_table else "", approx, os.fspath(calibration) if calibration else "")
    import json

    report = Report(json.loads(report_json), log)
    if not equivalent:
        raise VerificationError("the optimized model differs from the original beyond tolerance:\n" + log, report)
    return onnx.load_from_string(data), report


def inspect(model, *, input_shapes=None):
    """The summary `convopt inspect --json` prints: opsets, inputs, outputs,
    op histogram, parameters, MACs and every Conv."""
    import json

    return json.loads(_convopt.inspect(_model_source(model), _shape_specs(input_shapes)))


class Session:
    """A model compiled by convopt's JIT engine, run on NumPy arrays; shaped like
    onnxruntime.InferenceSession so that switching is a one-line change.

    threads: kernel threads (None: one per hardware thread). With more than one,
        the session times runs on one thread against runs on all and uses the
        faster (where cores are far apart, small models run slower on two);
        fixed_threads=True always uses them all.
    input_shapes: fix dynamic dims ({"x": (1, 3, 224, 224)}); otherwise a model
        with dynamic dims compiles at its first run for each new set of shapes.
    winograd: "auto" (3x3 convs in the Winograd domain where it pays, as measured
        or estimated), "off", "f2" or "f4" (that tile wherever legal), as the CLI's --winograd.
    ring_fusion: False writes every conv's whole output to memory (the CLI's
        --no-ring-fusion); by default a conv read only by the next one is computed
        row by row inside it where that pays.
    measured: True (default) takes the choices measured on this host by
        `convopt bench --tune` (its tuning cache) or on its CPU family (checked
        in), as the CLI's run and bench do; False: estimates and heuristics only.
    kernel_cache: True (default) loads the kernels compiled for the same model
        before (by this build, for this CPU) from the user's cache folder, and
        keeps those it compiles there; False compiles afresh and keeps nothing
        (the CLI's --no-kernel-cache).
    """

    def __init__(self, model, threads=None, input_shapes=None, fixed_threads=False, winograd="auto", ring_fusion=True,
                 measured=True, kernel_cache=True):
        self._session = _convopt.Session(
            _model_source(model),
            _thread_count(threads),
            bool(fixed_threads),
            _shape_specs(input_shapes),
            winograd,
            bool(ring_fusion),
            bool(measured),
            bool(kernel_cache),
        )
        self._inputs = [NodeArg(*arg) for arg in self._session.inputs()]
        self._outputs = [NodeArg(*arg) for arg in self._session.outputs()]

    @property
    def input_names(self):
        return [arg.name for arg in self._inputs]

    @property
    def output_names(self):
        return [arg.name for arg in self._outputs]

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def run(self, output_names_or_feeds, input_feed=None, run_options=None):
        """run(feeds) -> {name: array}, every output; or onnxruntime's
        run(output_names, feeds) -> [array, ...] in the order asked (None: all)."""
        if input_feed is None and isinstance(output_names_or_feeds, dict):
            return self._run(output_names_or_feeds)
        if input_feed is None:
            raise TypeError("run(feeds) takes a dict of inputs; run(output_names, feeds) the names first")
        outputs = self._run(input_feed)
        names = self.output_names if output_names_or_feeds is None else list(output_names_or_feeds)
        unknown = [name for name in names if name not in outputs]
        if unknown:
            raise InputError(f"output '{unknown[0]}': the model has no output of that name "
                             f"(it has {', '.join(self.output_names)})")
        return [outputs[name] for name in names]

    def explain(self):
        """What each node became in every engine compiled so far (`run --explain`)."""
        return self._session.explain()

    def _run(self, feeds):
        return self._session.run({str(name): np.asarray(value) for name, value in feeds.items()})


def compile(model, out_dir, *, name=None, target=None, cpu=None, format="object", input_shapes=None, optimize=True,
            passes=None, embed_weights=False, allow_fallback=False, fallback_library_dir=None, winograd="auto",
            ring_fusion=True, threads=None, measured=True, jobs=None):
    """Compiles the model ahead of time into a C API in out_dir (`convopt compile
    -o DIR`): NAME.h, NAME.o / libNAME.a / libNAME.so, NAME.weights, NAME.json.
    Returns what it wrote and for which target ({"files": [...], "triple": ..., ...}).

    name: the C prefix (default: the model file's name, or "model").
    target: a target triple such as "aarch64-linux-gnu" (default: the host);
    cpu: "host", "x86-64-v3", "cortex-a76", ...
    winograd, ring_fusion: as Session's.
    threads: the thread count the code will mostly run at (None: this machine's
        cores); measured=True (default) takes the kernel choices measured for it
        as Session does (the host's tuning cache for code for this host's triple,
        the target CPU family's checked-in table), as the CLI's compile --threads.
    jobs: the threads LLVM optimises the kernels on (None: this machine's
        cores), as the CLI's compile -j; the files are the same for any count.
    """
    if name is None:
        name = _convopt.artifact_name_for(os.fspath(model)) if isinstance(model, (str, os.PathLike)) else "model"
    return _convopt.compile(_model_source(model), os.fspath(out_dir), name, format, target or "", cpu or "",
                            _shape_specs(input_shapes), optimize, _pipeline(passes), embed_weights, allow_fallback,
                            fallback_library_dir or "", winograd, bool(ring_fusion), _thread_count(threads),
                            bool(measured), _thread_count(jobs))

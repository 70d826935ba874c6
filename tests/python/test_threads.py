"""The GIL is released while convopt works, and one Session serves several threads.

How the GIL test knows, without timing: with a switch interval of 1000 s, a
Python thread gets the GIL only when the holder gives it up. The worker signals
that it is about to call convopt and calls it; the main thread, woken by the
signal, needs the GIL to look at `finished`: it can only look before the call
returns if the call released the GIL."""

import sys
import threading

import numpy as np
import pytest

import convopt
from conftest import block_diagonal_conv_model, shared_model


def main_thread_ran_during(call):
    started, finished = threading.Event(), []

    def worker():
        started.set()
        call()
        finished.append(True)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        started.wait()
        ran_during = not finished
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    return ran_during


@pytest.fixture(scope="module")
def big_model():  # long enough that the main thread is scheduled while it runs
    return shared_model("regnet_x_400mf_lite_dense")


def test_run_releases_the_gil(big_model):
    session = convopt.Session(big_model, threads=1)
    x = np.zeros((1, 3, 160, 160), np.float32)
    assert main_thread_ran_during(lambda: [session.run({"input": x}) for _ in range(5)])


def test_optimize_releases_the_gil(big_model):
    assert main_thread_ran_during(lambda: convopt.optimize(big_model))


def test_compiling_a_session_releases_the_gil(big_model):
    assert main_thread_ran_during(lambda: convopt.Session(big_model, threads=1))


def test_compile_releases_the_gil(big_model, tmp_path):
    assert main_thread_ran_during(lambda: convopt.compile(big_model, tmp_path, name="regnet"))


def test_one_session_used_by_several_threads_gives_each_the_single_threaded_result():
    session = convopt.Session(block_diagonal_conv_model(batch=1), threads=2)
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((1, 32, 12, 12)).astype(np.float32) for _ in range(8)]
    expected = [session.run({"x": x})["y"] for x in inputs]
    results = [None] * len(inputs)

    def worker(i):
        for _ in range(20):
            results[i] = session.run({"x": inputs[i]})["y"]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got, want in zip(results, expected):
        assert np.array_equal(got, want)


def test_how_far_apart_the_cores_are_is_a_positive_time():
    ns = convopt.core_round_trip_ns()
    assert 0 < ns < float("inf")

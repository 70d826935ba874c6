#!/usr/bin/env python3
"""Writes a model with planted near-low-rank structure, for `optimize --approx`.

Three same-padded 3x3 convs (C channels, ReLU between) on a 1 x C x S x S
input; each weight is a structured one plus Gaussian noise of NOISE times its
largest element, so of full rank (the exact passes find nothing):
  channel  every input channel's C_out x 9 slice of rank R (dense-to-separable)
  spatial  W as M[(i, h), (o, w)] of rank R (dense-to-spatially-separable)

Usage: make_planted_model.py channel|spatial OUT.onnx [--channels C] [--size S]
                             [--rank R] [--noise NOISE] [--seed N]
"""
import argparse

import numpy as np
import onnx
from onnx import helper, numpy_helper


def planted_weight(kind, c, rank, rng):
    if kind == "channel":  # W[o, i, :] = sum_j P[o, i, j] K[i, j, :]
        p = rng.standard_normal((c, c, rank))
        k = rng.standard_normal((c, rank, 9))
        return np.einsum("oij,ije->oie", p, k).reshape(c, c, 3, 3)
    a = rng.standard_normal((rank, c, 3))  # W[o, i, h, w] = sum_j A[j, i, h] B[j, o, w]
    b = rng.standard_normal((rank, c, 3))
    return np.einsum("jih,jow->oihw", a, b)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["channel", "spatial"])
    parser.add_argument("out")
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--rank", type=int, default=1)
    parser.add_argument("--noise", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    c, nodes, initializers, value = args.channels, [], [], "x"
    for layer in range(3):
        w = planted_weight(args.kind, c, args.rank, rng)
        w = w / np.abs(w).max()
        w = (w + args.noise * rng.standard_normal(w.shape)).astype(np.float32)
        initializers.append(numpy_helper.from_array(w, f"w{layer}"))
        conv = f"conv{layer}"
        nodes.append(helper.make_node("Conv", [value, f"w{layer}"], [conv], pads=[1, 1, 1, 1]))
        value = conv if layer == 2 else f"relu{layer}"
        if layer < 2:
            nodes.append(helper.make_node("Relu", [conv], [value]))
    shape = [1, c, args.size, args.size]
    graph = helper.make_graph(nodes, f"planted_{args.kind}_rank{args.rank}",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info(value, onnx.TensorProto.FLOAT, shape)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, args.out)


if __name__ == "__main__":
    main()

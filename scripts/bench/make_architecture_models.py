#!/usr/bin/env python3
"""Writes small networks of the architectures users bring beyond the shared
models, with random (He-scaled) weights, in the ONNX backend-test layout
(OUT/NAME/model.onnx; the data sets are the caller's: convopt run --output-dir):

  convnext   7x7 depthwise, NHWC LayerNormalization (opset 17), MatMul, the
             exporters' Erf GELU, layer scale, residual
  convnext20 the same with opset 20's Gelu and its tanh approximation
  wav2vec    1-D conv feature encoder (kernel 10 stride 5, then 3 stride 2),
             group norm as exporters spell it (Reshape -> InstanceNormalization),
             GELU, LayerNormalization over channels after a Transpose
  unet       InstanceNormalization after convs, GroupNormalization (opset 18),
             ConvTranspose 2x2 upsampling, skip Concat
  yolo_head  SiLU convs, a distribution head: 3-D Split, Softmax over a
             non-innermost axis, Concat along the anchors
  tf_pad     NHWC input, explicit zero Pads before the convs (tf2onnx's SAME),
             PRelu, GlobalMaxPool, Elu, Selu
  vocoder    1-D ConvTranspose upsampling, LeakyRelu, Conv1d, Tanh

Usage: make_architecture_models.py OUT [--size small|full] [--seed N]
(small: inputs of 32-64 pixels or 1600 samples, for tests; full: 224x224 and
16000 samples, for benchmarks).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Net:
    """A graph under construction: nodes, initializers, one float input 'x'."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value, prefix="c"):
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type, inputs, outputs=1, **attrs):
        names = [self.name(op_type.lower() + "_") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=self.name(op_type + "_n"), **attrs))
        return names[0] if outputs == 1 else names

    def weight(self, shape, fan_in):
        return (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def vector(self, n, mean=0.0, spread=0.1):
        return (mean + spread * self.rng.standard_normal(n)).astype(np.float32)

    def conv(self, x, cin, cout, k, stride=1, group=1, dims=2, pads=None):
        kernel = [k] * dims
        pads = [(k - 1) // 2] * (2 * dims) if pads is None else pads
        w = self.const(self.weight([cout, cin // group] + kernel, cin // group * k**dims), "w")
        return self.op("Conv", [x, w, self.const(self.vector(cout, 0, 0.05), "b")], kernel_shape=kernel,
                       strides=[stride] * dims, pads=pads, group=group)

    def gelu_erf(self, x):
        erf = self.op("Erf", [self.op("Div", [x, self.const(np.float32(1.4142135))])])
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [erf, self.const(np.float32(1.0))])]),
                               self.const(np.float32(0.5))])

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def model(self, x_dims, y, opset):
        graph = helper.make_graph(self.nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims)],
                                  [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)], self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def convnext(net, size, opset20=False):
    last = 32
    x = net.conv("x", 3, 32, 4, stride=4, pads=[0, 0, 0, 0])
    for c in (32, 32, 64, 64):
        if c == 64 and c != last:  # downsampling between the stages
            x = net.conv(x, last, c, 2, stride=2, pads=[0, 0, 0, 0])
        last = c
        d = net.conv(x, c, c, 7, group=c)
        t = net.op("Transpose", [d], perm=[0, 2, 3, 1])
        n = net.op("LayerNormalization", [t, net.const(net.vector(c, 1.0)), net.const(net.vector(c))], axis=-1,
                   epsilon=1e-6)
        h = net.op("MatMul", [n, net.const(net.weight([c, 4 * c], c))])
        h = net.op("Add", [h, net.const(net.vector(4 * c))])
        h = net.op("Gelu", [h], approximate="tanh" if net.count % 2 else "none") if opset20 else net.gelu_erf(h)
        h = net.op("MatMul", [h, net.const(net.weight([4 * c, c], 4 * c))])
        h = net.op("Mul", [h, net.const(net.vector(c, 0.5))])
        x = net.op("Add", [x, net.op("Transpose", [h], perm=[0, 3, 1, 2])])
    pooled = (net.op("ReduceMean", [x, net.const(np.array([2, 3], np.int64))], keepdims=0) if opset20 else
              net.op("ReduceMean", [x], axes=[2, 3], keepdims=0))  # axes an input from opset 18
    normed = net.op("LayerNormalization", [pooled, net.const(net.vector(64, 1.0)), net.const(net.vector(64))])
    y = net.op("Gemm", [normed, net.const(net.weight([10, 64], 64)), net.const(net.vector(10))], transB=1)
    return net.model([1, 3, size, size], y, 20 if opset20 else 17)


def wav2vec(net, samples):
    x = net.conv("x", 1, 32, 10, stride=5, dims=1, pads=[0, 0])
    groups = net.op("Reshape", [x, net.const(np.array([1, 32, -1], np.int64))])
    x = net.op("InstanceNormalization", [groups, net.const(net.vector(32, 1.0)), net.const(net.vector(32))])
    x = net.gelu_erf(x)
    for _ in range(3):
        x = net.gelu_erf(net.conv(x, 32, 32, 3, stride=2, dims=1, pads=[0, 0]))
    t = net.op("Transpose", [x], perm=[0, 2, 1])
    n = net.op("LayerNormalization", [t, net.const(net.vector(32, 1.0)), net.const(net.vector(32))])
    y = net.op("MatMul", [n, net.const(net.weight([32, 48], 32))])
    return net.model([1, 1, samples], y, 17)


def unet(net, size):
    def block(x, cin, cout, norm):
        x = net.conv(x, cin, cout, 3)
        if norm == "instance":
            x = net.op("InstanceNormalization", [x, net.const(net.vector(cout, 1.0)), net.const(net.vector(cout))])
        else:
            x = net.op("GroupNormalization", [x, net.const(net.vector(4, 1.0)), net.const(net.vector(4))],
                       num_groups=4)
        return net.op("Relu", [x])

    e1 = block("x", 3, 16, "instance")
    e2 = block(net.conv(e1, 16, 16, 3, stride=2), 16, 32, "group")
    up = net.op("ConvTranspose", [e2, net.const(net.weight([32, 16, 2, 2], 32)), net.const(net.vector(16))],
                kernel_shape=[2, 2], strides=[2, 2])
    d1 = block(net.op("Concat", [up, e1], axis=1), 32, 16, "instance")
    return net.model([1, 3, size, size], net.conv(d1, 16, 2, 1), 18)


def yolo_head(net, size):
    x = net.silu(net.conv("x", 3, 32, 3, stride=2))
    x = net.silu(net.conv(x, 32, 48, 3, stride=2))
    cells = (size // 4) ** 2
    flat = net.op("Reshape", [net.conv(x, 48, 64 + 8, 1), net.const(np.array([1, 72, cells], np.int64))])
    box, cls = net.op("Split", [flat, net.const(np.array([64, 8], np.int64))], outputs=2, axis=1)
    dist = net.op("Reshape", [box, net.const(np.array([1, 4, 16, cells], np.int64))])
    prob = net.op("Softmax", [dist], axis=2)
    bins = net.const(np.arange(16, dtype=np.float32).reshape(1, 1, 16, 1))
    edges = net.op("ReduceSum", [net.op("Mul", [prob, bins]), net.const(np.array([2], np.int64))], keepdims=0)
    y = net.op("Concat", [edges, net.op("Sigmoid", [cls])], axis=1)
    return net.model([1, 3, size, size], y, 13)


def tf_pad(net, size):
    x = net.op("Transpose", ["x"], perm=[0, 3, 1, 2])
    for cin, cout in ((3, 16), (16, 32), (32, 32)):
        x = net.op("Pad", [x, net.const(np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64))])
        x = net.conv(x, cin, cout, 3, stride=2, pads=[0, 0, 0, 0])
        x = net.op("PRelu", [x, net.const(net.vector(cout, 0.1, 0.02).reshape(cout, 1, 1))])
    x = net.op("Elu", [net.conv(x, 32, 32, 1)], alpha=0.5)
    x = net.op("Selu", [net.conv(x, 32, 32, 1)])
    y = net.op("Flatten", [net.op("GlobalMaxPool", [x])])
    return net.model([1, size, size, 3], y, 13)


def vocoder(net, frames):
    x = net.conv("x", 16, 32, 7, dims=1)
    for cin, cout in ((32, 16), (16, 8)):
        x = net.op("LeakyRelu", [x], alpha=0.1)
        x = net.op("ConvTranspose", [x, net.const(net.weight([cin, cout, 8], cin)), net.const(net.vector(cout))],
                   kernel_shape=[8], strides=[4], pads=[2, 2])
        x = net.conv(x, cout, cout, 3, dims=1)
    return net.model([1, 16, frames], net.op("Tanh", [net.conv(x, 8, 1, 7, dims=1)]), 13)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    full = args.size == "full"
    image, samples, frames = (224, 16000, 200) if full else (64, 1600, 25)
    builders = {
        "convnext": lambda net: convnext(net, image),
        "convnext20": lambda net: convnext(net, image, opset20=True),
        "wav2vec": lambda net: wav2vec(net, samples),
        "unet": lambda net: unet(net, image if full else 32),
        "yolo_head": lambda net: yolo_head(net, 320 if full else 64),
        "tf_pad": lambda net: tf_pad(net, image),
        "vocoder": lambda net: vocoder(net, frames),
    }
    for name, build in builders.items():
        model = build(Net(args.seed))
        os.makedirs(os.path.join(args.out, name), exist_ok=True)
        onnx.save(model, os.path.join(args.out, name, "model.onnx"))
        print(name)


if __name__ == "__main__":
    main()

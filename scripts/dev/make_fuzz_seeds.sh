#!/usr/bin/env bash
# Regenerates fuzz/corpus/models/, the seeds of the structure-aware fuzz
# targets (pipeline, engine): the project's demo model at 8 channels and 8x8
# and at 16 (tools/demo_model; 16 channels fill an AVX-512 vector, so its 3x3
# convs can take the Winograd path), the small ONNX-text models of fuzz/seeds/ (a separable
# block, Split -> Conv -> Concat, Pad + Conv + per-channel affine, 1-D convs,
# a Conv inside an If, a pooling/resize/Gemm head) and the conv-family models
# of libonnx-testdata that fuzz/corpus/import holds. Needs build/ (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=fuzz/corpus/models
rm -rf "$out"
mkdir -p "$out"
build/tools/make_demo_model "$out/demo_8_channels.onnx" 8 8
build/tools/make_demo_model "$out/demo_16_channels.onnx" 16 8
for text in fuzz/seeds/*.onnxtxt; do
  # eliminate-identity changes none of them: optimize here only converts text to binary.
  build/tools/convopt optimize --no-verify --passes eliminate-identity "$text" \
    -o "$out/$(basename "$text" .onnxtxt).onnx" >/dev/null
done
for name in conv_with_strides_padding convtranspose_pads batchnorm_epsilon averagepool_2d_pads maxpool_2d_pads \
  gemm_default_no_bias resize_upsample_scales_linear concat_3d_axis_1; do
  cp "fuzz/corpus/import/test_$name.onnx" "$out/"
done
ls -l "$out"

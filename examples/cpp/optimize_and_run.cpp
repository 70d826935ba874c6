// What a C++ program does with convopt::convopt: load a model, run the
// default rewrite pipeline, save the result, JIT-compile it and run it on
// seeded random inputs, printing each output's shape and its first values.
//   optimize_and_run MODEL.onnx OPTIMIZED.onnx [THREADS]
#include <cstdio>
#include <exception>
#include <string>

#include <convopt/codegen/engine/jit_engine.h>
#include <convopt/ir/error.h>
#include <convopt/ir/onnx_io.h>
#include <convopt/passes/pass_manager.h>
#include <convopt/passes/pipeline.h>
#include <convopt/runtime/random_inputs.h>

using namespace convopt;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx OPTIMIZED.onnx [THREADS]\n", argv[0]);
    return 2;
  }
  try {
    ir::Model model = ir::loadModel(argv[1]);
    std::vector<passes::PassStatistics> stats = passes::runPipeline(model, passes::defaultPipelineNames(), {});
    int64_t rewrites = 0;
    for (const passes::PassStatistics& pass : stats) rewrites += pass.rewritten;
    ir::saveModel(model, argv[2]);
    std::printf("optimized: %lld rewrites, written to %s\n", static_cast<long long>(rewrites), argv[2]);

    runtime::TensorMap inputs = runtime::randomInputs(*model.graph, {});
    codegen::JitEngine engine(model, codegen::shapesOf(inputs), {.threads = argc > 3 ? std::stoi(argv[3]) : 1});
    for (const auto& [name, tensor] : engine.run(inputs)) {
      std::vector<float> values = tensor.toFloatVector();
      std::printf("%s: %zu values, first %g\n", name.c_str(), values.size(), values.empty() ? 0.0 : values[0]);
    }
    return 0;
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 1;
  }
}

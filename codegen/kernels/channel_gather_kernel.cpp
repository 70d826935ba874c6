#include "codegen/kernels/channel_gather_kernel.h"
#include "ir/int_math.h"

#include <map>

#include "codegen/builder/kernel_builder.h"

namespace convopt::codegen {

int64_t channelGatherWorkUnits(const ChannelGatherSpec& spec) { return spec.batch * spec.height; }

void emitChannelGatherKernel(llvm::Module& module, const std::string& name, const ChannelGatherSpec& spec,
                             int vectorWidth) {
  KernelBuilder kb(module, name, vectorWidth);
  llvm::IRBuilder<>& ir = kb.ir();
  int sources = int(spec.sourceChannels.size());
  std::vector<llvm::Value*> source;
  for (int k = 0; k < sources; ++k) source.push_back(kb.buffer(k));
  llvm::Value* output = kb.buffer(sources);
  int64_t pixels = spec.height * spec.width, width = vectorWidth;
  int64_t outBlocks = ceilDiv(int64_t(spec.outputChannels.size()), width);
  auto blocksOf = [&](int64_t channels) { return ceilDiv(channels, width); };
  kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value* unit) {
    llvm::Value* image = ir.CreateSDiv(unit, kb.i64(spec.height));
    llvm::Value* firstPixel = ir.CreateMul(ir.CreateSRem(unit, kb.i64(spec.height)), kb.i64(spec.width));
    llvm::Value* endPixel = ir.CreateAdd(firstPixel, kb.i64(spec.width));
    for (int64_t block = 0; block < outBlocks; ++block) {
      // Which (source, source block) vectors this output block's lanes come from.
      std::map<std::pair<int, int64_t>, std::vector<std::pair<int, int>>> parts;  // -> (out lane, source lane)
      for (int lane = 0; lane < width && block * width + lane < int64_t(spec.outputChannels.size()); ++lane) {
        auto [s, c] = spec.outputChannels[block * width + lane];
        parts[{s, c / width}].push_back({lane, int(c % width)});
      }
      kb.forLoop(firstPixel, endPixel, 1, [&](llvm::Value* pixel) {
        llvm::Value* result = nullptr;
        std::vector<int> mask(width, llvm::PoisonMaskElem);
        for (const auto& [where, lanes] : parts) {
          auto [s, sourceBlock] = where;
          llvm::Value* plane =
              ir.CreateAdd(ir.CreateMul(image, kb.i64(blocksOf(spec.sourceChannels[s]))), kb.i64(sourceBlock));
          llvm::Value* vector = kb.loadVector(
              source[s], ir.CreateMul(ir.CreateAdd(ir.CreateMul(plane, kb.i64(pixels)), pixel), kb.i64(width)));
          for (int lane = 0; lane < width; ++lane)
            if (mask[lane] != llvm::PoisonMaskElem) mask[lane] = lane;
          for (auto [outLane, sourceLane] : lanes) mask[outLane] = sourceLane + (result ? int(width) : 0);
          result = result ? ir.CreateShuffleVector(result, vector, mask) : ir.CreateShuffleVector(vector, mask);
        }
        llvm::Value* plane = ir.CreateAdd(ir.CreateMul(image, kb.i64(outBlocks)), kb.i64(block));
        kb.storeVector(output, ir.CreateMul(ir.CreateAdd(ir.CreateMul(plane, kb.i64(pixels)), pixel), kb.i64(width)),
                       result);
      });
    }
  });
}

}  // namespace convopt::codegen

// Channel gathers on blocked 4-D tensors: Concat, Split, Slice along the
// channel axis, channel shuffles, and chains of those. Each output channel
// copies one channel of one source; lanes move between blocks with constant
// shuffles, so channel counts need not be multiples of the vector width.
//
// Buffers: the sources, then the output. Work unit: one row of one image
// (all output channel blocks), so a single image still splits over threads.
#pragma once
#include <string>
#include <vector>

namespace llvm {
class Module;
}

namespace convopt::codegen {

struct ChannelGatherSpec {
  int64_t batch = 1, height = 1, width = 1;
  std::vector<int64_t> sourceChannels;
  struct Channel {
    int source;
    int64_t channel;
  };
  std::vector<Channel> outputChannels;  // where each output channel comes from
};

void emitChannelGatherKernel(llvm::Module& module, const std::string& name, const ChannelGatherSpec& spec,
                             int vectorWidth);
int64_t channelGatherWorkUnits(const ChannelGatherSpec& spec);

}  // namespace convopt::codegen

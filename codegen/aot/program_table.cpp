#include "codegen/aot/program_table.h"

#include <cstring>
#include <numeric>

#include "codegen/aot/fallback_model.h"
#include "codegen/aot/runtime/artifact_format.h"
#include "ir/error.h"
#include "ir/int_math.h"

namespace convopt::codegen {

int64_t ArtifactTensor::elements() const {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1), std::multiplies<>());
}

namespace {

class TableBuilder {
 public:
  TableBuilder(const LoweredModel& lowered, const TableOptions& options, ProgramTable& table)
      : lowered_(lowered), program_(lowered.program), options_(options), table_(table) {}

  void build();

 private:
  int64_t slotOffset(int slot) const { return int64_t(program_.slots.at(slot).offset); }
  int64_t addPayload(const void* data, size_t bytes);
  ArtifactTensor tensorOf(const ir::Value* value, const char* role) const;
  void addOutput(const ir::Value* value, std::vector<int64_t>& words);
  void addStep(const Step& step, std::vector<int64_t>& words);
  void addFallbackStep(const ir::Node& node, std::vector<int64_t>& words);
  int64_t plainOffset(const ir::Node& node, const ir::Value* value) const;
  std::string fallbackReason(const std::string& label) const;

  const LoweredModel& lowered_;
  const Program& program_;
  const TableOptions& options_;
  ProgramTable& table_;
  std::vector<int64_t> constantWords_;  // per constant: payload offset, bytes
  std::map<std::string, int64_t> kernelIndex_;
  int64_t maxArgs_ = 0;
};

int64_t TableBuilder::addPayload(const void* data, size_t bytes) {
  size_t offset = size_t(ceilDiv(int64_t(table_.payload.size()), int64_t(CONVOPT_ALIGNMENT))) * CONVOPT_ALIGNMENT;
  table_.payload.resize(offset + bytes);
  std::memcpy(table_.payload.data() + offset, data, bytes);
  constantWords_.push_back(int64_t(offset));
  constantWords_.push_back(int64_t(bytes));
  return int64_t(constantWords_.size() / 2 - 1);
}

ArtifactTensor TableBuilder::tensorOf(const ir::Value* value, const char* role) const {
  if (value->type.dtype != ir::DType::Float)
    throwInputError("{} '{}' is {}: compiled artifacts take and return float32 tensors only", role, value->name(),
                    ir::dtypeName(value->type.dtype));
  if (!value->type.hasStaticShape())
    throwInputError("{} '{}' has a dynamic shape: give it with --input-shape", role, value->name());
  return {value->name(), value->type.staticShape()};
}

void TableBuilder::addOutput(const ir::Value* value, std::vector<int64_t>& words) {
  ArtifactTensor tensor = tensorOf(value, "output");
  int64_t bytes = tensor.elements() * int64_t(sizeof(float));
  if (const ir::Tensor* constant = program_.constantOf(value)) {
    words.insert(words.end(), {CONVOPT_CONSTANT, addPayload(constant->bytes().data(), size_t(bytes)), bytes});
  } else {
    auto it = program_.storage.find(value);
    if (it == program_.storage.end() || it->second.plain < 0)
      throw std::runtime_error("aot: output '" + value->name() + "' has no storage");
    words.insert(words.end(), {CONVOPT_ARENA, slotOffset(it->second.plain), bytes});
  }
  table_.outputs.push_back(std::move(tensor));
}

void TableBuilder::addStep(const Step& step, std::vector<int64_t>& words) {
  switch (step.kind) {
    case Step::Kind::Kernel: {
      auto [it, added] = kernelIndex_.try_emplace(step.kernelName, int64_t(table_.kernels.size()));
      if (added) table_.kernels.push_back(step.kernelName);
      words.insert(words.end(), {CONVOPT_STEP_KERNEL, it->second, step.units, int64_t(step.args.size())});
      for (const KernelArg& arg : step.args)
        words.insert(words.end(), {arg.kind == KernelArg::Kind::Slot ? CONVOPT_ARENA : CONVOPT_CONSTANT,
                                   arg.kind == KernelArg::Kind::Slot ? slotOffset(arg.index) : arg.index});
      maxArgs_ = std::max(maxArgs_, int64_t(step.args.size()));
      return;
    }
    case Step::Kind::ToBlocked:
    case Step::Kind::FromBlocked:
      words.insert(words.end(),
                   {step.kind == Step::Kind::ToBlocked ? CONVOPT_STEP_TO_BLOCKED : CONVOPT_STEP_FROM_BLOCKED,
                    slotOffset(step.from), slotOffset(step.to), step.shape.batch, step.shape.channels,
                    step.shape.height, step.shape.width, step.shape.vectorWidth});
      return;
    case Step::Kind::Fallback:
      if (options_.allowFallback) return addFallbackStep(*step.node, words);
      throwInputError(
          "node {} ({}) has no generated kernel ({}): compiled artifacts run generated kernels only, unless "
          "--allow-fallback links libconvopt_fallback to run it; `convopt run --explain` lists every fallback",
          step.node->label(), step.node->opType, fallbackReason(step.node->label()));
  }
}

int64_t TableBuilder::plainOffset(const ir::Node& node, const ir::Value* value) const {
  auto it = program_.storage.find(value);
  if (it == program_.storage.end() || it->second.plain < 0)
    throwInputError("node {} ({}) runs in libconvopt_fallback, which needs '{}' to have a shape known at compile time",
                    node.label(), node.opType, value->name());
  return slotOffset(it->second.plain);
}

void TableBuilder::addFallbackStep(const ir::Node& node, std::vector<int64_t>& words) {
  FallbackModel model =
      makeFallbackModel(lowered_.model, node, [this](const ir::Value* value) { return program_.constantOf(value); });
  words.insert(words.end(),
               {CONVOPT_STEP_FALLBACK, int64_t(table_.fallbackModels.size()), int64_t(model.inputs.size())});
  for (const ir::Value* input : model.inputs) words.push_back(plainOffset(node, input));
  words.push_back(int64_t(model.outputs.size()));
  for (const ir::Value* output : model.outputs) words.push_back(plainOffset(node, output));
  maxArgs_ = std::max(maxArgs_, int64_t(model.inputs.size() + model.outputs.size()));
  table_.fallbackNodes.push_back(node.label());
  table_.fallbackModels.push_back(std::move(model.bytes));
}

std::string TableBuilder::fallbackReason(const std::string& label) const {
  for (const FallbackNode& node : program_.fallbacks)
    if (node.label == label) return node.reason;
  return "no generator";
}

void TableBuilder::build() {
  for (const runtime::AlignedFloats& constant : program_.constants)  // kernel constants keep their index
    addPayload(constant.data(), constant.size() * sizeof(float));
  std::vector<int64_t> inputs, outputs, steps;
  for (const ir::Value* input : lowered_.model.graph->inputs()) {
    if (input->isInitializer()) continue;
    ArtifactTensor tensor = tensorOf(input, "input");
    inputs.insert(inputs.end(), {slotOffset(program_.storage.at(input).plain), tensor.elements() * 4});
    table_.inputs.push_back(std::move(tensor));
  }
  for (const ir::Value* output : lowered_.model.graph->outputs()) addOutput(output, outputs);
  for (const Step& step : program_.steps) addStep(step, steps);
  table_.payload.resize(size_t(ceilDiv(int64_t(table_.payload.size()), int64_t(8))) * 8);
  table_.payloadHash = convopt_hash_words(reinterpret_cast<const uint64_t*>(table_.payload.data()),
                                          table_.payload.size() / 8, CONVOPT_HASH_SEED);
  std::vector<int64_t>& w = table_.words;
  w.assign(CONVOPT_P_HEADER_WORDS, 0);
  w[CONVOPT_P_FORMAT] = CONVOPT_FORMAT_VERSION;
  w[CONVOPT_P_ARENA_BYTES] = int64_t(lowered_.arenaBytes);
  w[CONVOPT_P_PAYLOAD_BYTES] = int64_t(table_.payload.size());
  w[CONVOPT_P_NUM_CONSTANTS] = int64_t(constantWords_.size() / 2);
  w[CONVOPT_P_NUM_INPUTS] = int64_t(table_.inputs.size());
  w[CONVOPT_P_NUM_OUTPUTS] = int64_t(table_.outputs.size());
  w[CONVOPT_P_NUM_STEPS] = int64_t(program_.steps.size());
  w[CONVOPT_P_MAX_KERNEL_ARGS] = maxArgs_;
  w[CONVOPT_P_REQUIRED_FEATURES] = options_.requiredFeatures;
  w[CONVOPT_P_FLUSH_DENORMALS] = options_.flushDenormals;
  w[CONVOPT_P_NUM_FALLBACKS] = int64_t(table_.fallbackModels.size());
  for (const auto* section : {&constantWords_, &inputs, &outputs, &steps})
    w.insert(w.end(), section->begin(), section->end());
}

uint64_t hashBytes(const void* data, size_t bytes, uint64_t hash) {
  std::vector<uint64_t> words(size_t(ceilDiv(int64_t(bytes), int64_t(8))), 0);
  std::memcpy(words.data(), data, bytes);
  return convopt_hash_words(words.data(), words.size(), hash);
}

}  // namespace

ProgramTable buildProgramTable(const LoweredModel& lowered, const TableOptions& options) {
  ProgramTable table;
  TableBuilder(lowered, options, table).build();
  return table;
}

void sealProgramTable(ProgramTable& table, const std::string& codeIdentity) {
  table.words[CONVOPT_P_CODE_HASH] = 0;
  uint64_t hash = hashBytes(table.words.data(), table.words.size() * sizeof(int64_t), CONVOPT_HASH_SEED);
  hash = hashBytes(&table.payloadHash, sizeof table.payloadHash, hash);
  for (const std::string& model : table.fallbackModels) hash = hashBytes(model.data(), model.size(), hash);
  hash = hashBytes(codeIdentity.data(), codeIdentity.size(), hash);
  table.words[CONVOPT_P_CODE_HASH] = int64_t(hash);
}

std::vector<unsigned char> weightsHeader(const ProgramTable& table) {
  convopt_weights_header header{};
  std::memcpy(header.magic, CONVOPT_WEIGHTS_MAGIC, sizeof header.magic);
  header.format = CONVOPT_FORMAT_VERSION;
  header.byte_order = CONVOPT_BYTE_ORDER_MARK;
  header.code_hash = uint64_t(table.words[CONVOPT_P_CODE_HASH]);
  header.payload_bytes = table.payload.size();
  header.payload_hash = table.payloadHash;
  std::vector<unsigned char> bytes(sizeof header);
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

}  // namespace convopt::codegen

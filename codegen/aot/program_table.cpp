#include "codegen/aot/program_table.h"

#include <cstring>
#include <numeric>

#include "codegen/aot/fallback_model.h"
#include "codegen/aot/runtime/artifact_format.h"
#include "codegen/lowering/lowering_context.h"
#include "ir/error.h"
#include "ir/int_math.h"

namespace convopt::codegen {

int64_t ArtifactTensor::elements() const {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1), std::multiplies<>());
}

int64_t ArtifactTensor::bytes() const { return elements() * int64_t(ir::elementSize(dtype)); }

std::string ArtifactTensor::dtypeName() const {
  switch (dtype) {
    case ir::DType::Float:
      return "float32";
    case ir::DType::Double:
      return "float64";
    default:
      return std::string(ir::dtypeName(dtype));
  }
}

namespace {

// One program's place in the artifact: where its slots start in the arena and
// its kernel constants in the table's list.
struct Placement {
  const LoweredModel* lowered;
  int64_t arenaBase = 0, constantBase = 0;
  const Program& program() const { return lowered->program; }
};

class TableBuilder {
 public:
  TableBuilder(const LoweredModel& lowered, const BodyPrograms& bodies, const TableOptions& options,
               ProgramTable& table)
      : lowered_(lowered), bodies_(bodies), options_(options), table_(table) {}

  void build();

 private:
  int64_t addPayload(const void* data, size_t bytes);
  void placePrograms();
  ArtifactTensor tensorOf(const ir::Value* value, const char* role) const;
  int64_t slotOffset(const Placement& at, int slot) const;
  int64_t plainOffset(const Placement& at, const ir::Node& node, const ir::Value* value) const;
  void addSource(const Placement& at, const ir::Node& node, const ir::Value* value, std::vector<int64_t>& words);
  void addOutput(const Placement& at, const ir::Value* value, std::vector<int64_t>& words);
  std::vector<int64_t> stepsOf(const Placement& at);
  void addStep(const Placement& at, const Step& step, std::vector<int64_t>& words);
  void addFallbackStep(const Placement& at, const ir::Node& node, std::vector<int64_t>& words);
  void addIfStep(const Placement& at, const ir::Node& node, std::vector<int64_t>& words);
  void addLoopStep(const Placement& at, const ir::Node& node, std::vector<int64_t>& words);
  void addBodyCall(const Placement& at, const ir::Node& node, const char* attribute, size_t formalInputs,
                   std::vector<int64_t>& words);
  std::vector<int64_t> bodyRecord(int index);
  std::string fallbackReason(const Placement& at, const ir::Node& node) const;

  const LoweredModel& lowered_;
  const BodyPrograms& bodies_;
  const TableOptions& options_;
  ProgramTable& table_;
  std::vector<Placement> placements_;   // the model's, then each body's
  int64_t arenaBytes_ = 0;              // of them all
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

// Each body gets an arena region of its own after the model's: a body runs
// while the values of the steps around it are live, and bodies nest.
void TableBuilder::placePrograms() {
  auto place = [this](const LoweredModel& lowered) {
    Placement at{&lowered, arenaBytes_, int64_t(constantWords_.size() / 2)};
    for (const runtime::AlignedFloats& constant : lowered.program.constants)  // kernel constants keep their order
      addPayload(constant.data(), constant.size() * sizeof(float));
    arenaBytes_ += ceilDiv(int64_t(lowered.arenaBytes), int64_t(CONVOPT_ALIGNMENT)) * CONVOPT_ALIGNMENT;
    placements_.push_back(at);
  };
  place(lowered_);
  for (const BodyProgram& body : bodies_.bodies) place(body.lowered);
}

ArtifactTensor TableBuilder::tensorOf(const ir::Value* value, const char* role) const {
  if (ir::elementSize(value->type.dtype) == 0)
    throwInputError("{} '{}' is {}: compiled artifacts take and return tensors of fixed-size elements only", role,
                    value->name(), ir::dtypeName(value->type.dtype));
  if (!value->type.hasStaticShape())
    throwInputError("{} '{}' has a dynamic shape: give it with --input-shape", role, value->name());
  return {value->name(), value->type.staticShape(), value->type.dtype};
}

int64_t TableBuilder::slotOffset(const Placement& at, int slot) const {
  return at.arenaBase + int64_t(at.program().slots.at(slot).offset);
}

int64_t TableBuilder::plainOffset(const Placement& at, const ir::Node& node, const ir::Value* value) const {
  auto it = at.program().storage.find(value);
  if (it == at.program().storage.end() || it->second.plain < 0)
    throwInputError("node {} ({}) needs '{}' to have a shape known at compile time in a compiled artifact",
                    node.label(), node.opType, value->name());
  return slotOffset(at, it->second.plain);
}

// Where `node` reads `value` from: a constant, the arena, or nowhere (an omitted input).
void TableBuilder::addSource(const Placement& at, const ir::Node& node, const ir::Value* value,
                             std::vector<int64_t>& words) {
  if (!value) {
    words.insert(words.end(), {CONVOPT_ABSENT, 0});
  } else if (const ir::Tensor* constant = at.program().constantOf(value)) {
    words.insert(words.end(), {CONVOPT_CONSTANT, addPayload(constant->bytes().data(), constant->byteSize())});
  } else {
    words.insert(words.end(), {CONVOPT_ARENA, plainOffset(at, node, value)});
  }
}

void TableBuilder::addOutput(const Placement& at, const ir::Value* value, std::vector<int64_t>& words) {
  ArtifactTensor tensor = tensorOf(value, "output");
  if (const ir::Tensor* constant = at.program().constantOf(value)) {
    words.insert(words.end(), {CONVOPT_CONSTANT, addPayload(constant->bytes().data(), size_t(tensor.bytes()))});
  } else {
    auto it = at.program().storage.find(value);
    if (it == at.program().storage.end() || it->second.plain < 0)
      throw std::runtime_error("aot: output '" + value->name() + "' has no storage");
    words.insert(words.end(), {CONVOPT_ARENA, slotOffset(at, it->second.plain)});
  }
  words.push_back(tensor.bytes());
  if (&at == &placements_.front()) table_.outputs.push_back(std::move(tensor));
}

std::vector<int64_t> TableBuilder::stepsOf(const Placement& at) {
  std::vector<int64_t> words;
  for (const Step& step : at.program().steps) addStep(at, step, words);
  return words;
}

void TableBuilder::addStep(const Placement& at, const Step& step, std::vector<int64_t>& words) {
  switch (step.kind) {
    case Step::Kind::Kernel: {
      auto [it, added] = kernelIndex_.try_emplace(step.kernelName, int64_t(table_.kernels.size()));
      if (added) table_.kernels.push_back(step.kernelName);
      words.insert(words.end(), {CONVOPT_STEP_KERNEL, it->second, step.units, int64_t(step.args.size())});
      for (const KernelArg& arg : step.args)
        words.insert(words.end(),
                     {arg.kind == KernelArg::Kind::Slot ? CONVOPT_ARENA : CONVOPT_CONSTANT,
                      arg.kind == KernelArg::Kind::Slot ? slotOffset(at, arg.index) : at.constantBase + arg.index});
      maxArgs_ = std::max(maxArgs_, int64_t(step.args.size()));
      return;
    }
    case Step::Kind::ToBlocked:
    case Step::Kind::FromBlocked:
      words.insert(words.end(),
                   {step.kind == Step::Kind::ToBlocked ? CONVOPT_STEP_TO_BLOCKED : CONVOPT_STEP_FROM_BLOCKED,
                    slotOffset(at, step.from), slotOffset(at, step.to), step.shape.batch, step.shape.channels,
                    step.shape.height, step.shape.width, step.shape.vectorWidth});
      return;
    case Step::Kind::Fallback:
      if (runsCompiledBodies(*step.node))
        return step.node->opType == "If" ? addIfStep(at, *step.node, words) : addLoopStep(at, *step.node, words);
      if (options_.allowFallback) return addFallbackStep(at, *step.node, words);
      if (std::string refusal =
              fallbackRefusal(*step.node, [&at](const ir::Value* value) { return at.program().constantOf(value); });
          !refusal.empty())
        throwInputError("node {} ({}) has no generated kernel ({}), and {}", step.node->label(),
                        qualifiedOp(*step.node), fallbackReason(at, *step.node), refusal);
      throwInputError(
          "node {} ({}) has no generated kernel ({}): compiled artifacts run generated kernels only, unless "
          "--allow-fallback links libconvopt_fallback to run it; `convopt run --explain` lists every fallback",
          step.node->label(), qualifiedOp(*step.node), fallbackReason(at, *step.node));
  }
}

void TableBuilder::addFallbackStep(const Placement& at, const ir::Node& node, std::vector<int64_t>& words) {
  FallbackModel model = makeFallbackModel(at.lowered->model, node,
                                          [&at](const ir::Value* value) { return at.program().constantOf(value); });
  words.insert(words.end(),
               {CONVOPT_STEP_FALLBACK, int64_t(table_.fallbackModels.size()), int64_t(model.inputs.size())});
  for (const ir::Value* input : model.inputs) words.push_back(plainOffset(at, node, input));
  words.push_back(int64_t(model.outputs.size()));
  for (const ir::Value* output : model.outputs) words.push_back(plainOffset(at, node, output));
  maxArgs_ = std::max(maxArgs_, int64_t(model.inputs.size() + model.outputs.size()));
  table_.fallbackNodes.push_back(node.label());
  table_.fallbackModels.push_back(std::move(model.bytes));
}

// The body `attribute` holds: its index, then what its inputs past the first
// `formalInputs` (the values it captures) take, found by name in `node`'s graph.
void TableBuilder::addBodyCall(const Placement& at, const ir::Node& node, const char* attribute, size_t formalInputs,
                               std::vector<int64_t>& words) {
  const ir::Attribute* held = node.findAttribute(attribute);
  auto it = held && held->graphs.size() == 1 ? bodies_.index.find(&*held->graphs[0]) : bodies_.index.end();
  if (it == bodies_.index.end()) throw std::runtime_error("aot: " + node.label() + " has no lowered " + attribute);
  const ir::Graph& body = *bodies_.bodies[size_t(it->second)].lowered.model.graph;
  std::vector<const ir::Value*> captures;
  for (const ir::Value* input : body.inputs())
    if (!input->isInitializer()) captures.push_back(input);
  captures.erase(captures.begin(), captures.begin() + std::ptrdiff_t(std::min(formalInputs, captures.size())));
  words.insert(words.end(), {it->second, int64_t(captures.size())});
  const ir::Graph& graph = *at.lowered->model.graph;
  for (const ir::Value* capture : captures) {
    const ir::Value* outer = graph.findValue(capture->name());
    if (!outer) throw std::runtime_error("aot: " + node.label() + " captures '" + capture->name() + "' from nowhere");
    addSource(at, node, outer, words);
  }
}

void TableBuilder::addIfStep(const Placement& at, const ir::Node& node, std::vector<int64_t>& words) {
  words.push_back(CONVOPT_STEP_IF);
  addSource(at, node, node.input(0), words);
  words.push_back(int64_t(node.outputs().size()));
  for (const ir::Value* output : node.outputs()) words.push_back(plainOffset(at, node, output));
  for (const char* branch : {"then_branch", "else_branch"}) addBodyCall(at, node, branch, 0, words);
}

void TableBuilder::addLoopStep(const Placement& at, const ir::Node& node, std::vector<int64_t>& words) {
  size_t carried = node.inputs().size() > 2 ? node.inputs().size() - 2 : 0;
  size_t scans = node.outputs().size() - carried;
  words.push_back(CONVOPT_STEP_LOOP);
  addSource(at, node, node.input(0), words);
  addSource(at, node, node.input(1), words);
  words.push_back(int64_t(carried));
  for (size_t i = 0; i < carried; ++i) addSource(at, node, node.input(2 + i), words);
  int64_t trips = 0;  // what the scan outputs hold
  if (scans > 0) {
    const ir::Tensor* count = at.program().constantOf(node.input(0));
    if (!count)
      throwInputError(
          "node {} (Loop) has scan outputs but no constant trip count: a compiled artifact needs their shapes fixed",
          node.label());
    trips = count->toInt64Vector().at(0);
  }
  words.insert(words.end(), {int64_t(scans), trips});
  for (const ir::Value* output : node.outputs()) words.push_back(plainOffset(at, node, output));
  addBodyCall(at, node, "body", 2 + carried, words);
}

std::vector<int64_t> TableBuilder::bodyRecord(int index) {
  const Placement& at = placements_.at(size_t(index) + 1);
  const ir::Graph& graph = *at.lowered->model.graph;
  std::vector<int64_t> inputs, outputs;
  for (const ir::Value* input : graph.inputs()) {
    if (input->isInitializer()) continue;
    auto it = at.program().storage.find(input);
    if (it == at.program().storage.end() || it->second.plain < 0)
      throwInputError("{} reads '{}', whose shape is not known at compile time: a compiled artifact needs it fixed",
                      bodies_.bodies[size_t(index)].scope, input->name());
    inputs.insert(inputs.end(), {slotOffset(at, it->second.plain), int64_t(byteSize(input))});
  }
  for (const ir::Value* output : graph.outputs()) addOutput(at, output, outputs);
  std::vector<int64_t> steps = stepsOf(at);
  std::vector<int64_t> words{int64_t(inputs.size() / 2)};
  words.insert(words.end(), inputs.begin(), inputs.end());
  words.push_back(int64_t(graph.outputs().size()));
  words.insert(words.end(), outputs.begin(), outputs.end());
  words.push_back(int64_t(at.program().steps.size()));
  words.insert(words.end(), steps.begin(), steps.end());
  return words;
}

std::string TableBuilder::fallbackReason(const Placement& at, const ir::Node& node) const {
  if (node.opType == "Scan") return "a Scan's body is not compiled ahead of time; If and Loop bodies are";
  for (const FallbackNode& fallback : at.program().fallbacks)
    if (fallback.label == node.label()) return fallback.reason;
  return "no generator";
}

void TableBuilder::build() {
  placePrograms();
  const Placement& model = placements_.front();
  std::vector<int64_t> inputs, outputs, steps = stepsOf(model), bodies;
  for (const ir::Value* input : lowered_.model.graph->inputs()) {
    if (input->isInitializer()) continue;
    ArtifactTensor tensor = tensorOf(input, "input");
    inputs.insert(inputs.end(), {slotOffset(model, lowered_.program.storage.at(input).plain), tensor.bytes()});
    table_.inputs.push_back(std::move(tensor));
  }
  for (const ir::Value* output : lowered_.model.graph->outputs()) addOutput(model, output, outputs);
  std::vector<int64_t> records;
  std::vector<int64_t> recordStarts;
  for (size_t i = 0; i < bodies_.bodies.size(); ++i) {
    recordStarts.push_back(int64_t(records.size()));
    std::vector<int64_t> record = bodyRecord(int(i));
    records.insert(records.end(), record.begin(), record.end());
  }
  table_.payload.resize(size_t(ceilDiv(int64_t(table_.payload.size()), int64_t(8))) * 8);
  table_.payloadHash = convopt_hash_words(reinterpret_cast<const uint64_t*>(table_.payload.data()),
                                          table_.payload.size() / 8, CONVOPT_HASH_SEED);
  std::vector<int64_t>& w = table_.words;
  w.assign(CONVOPT_P_HEADER_WORDS, 0);
  w[CONVOPT_P_FORMAT] = CONVOPT_FORMAT_VERSION;
  w[CONVOPT_P_ARENA_BYTES] = arenaBytes_;
  w[CONVOPT_P_PAYLOAD_BYTES] = int64_t(table_.payload.size());
  w[CONVOPT_P_NUM_CONSTANTS] = int64_t(constantWords_.size() / 2);
  w[CONVOPT_P_NUM_INPUTS] = int64_t(table_.inputs.size());
  w[CONVOPT_P_NUM_OUTPUTS] = int64_t(table_.outputs.size());
  w[CONVOPT_P_NUM_STEPS] = int64_t(lowered_.program.steps.size());
  w[CONVOPT_P_MAX_KERNEL_ARGS] = maxArgs_;
  w[CONVOPT_P_REQUIRED_FEATURES] = options_.requiredFeatures;
  w[CONVOPT_P_FLUSH_DENORMALS] = options_.flushDenormals;
  w[CONVOPT_P_NUM_FALLBACKS] = int64_t(table_.fallbackModels.size());
  w[CONVOPT_P_NUM_BODIES] = int64_t(bodies_.bodies.size());
  for (const auto* section : {&constantWords_, &inputs, &outputs}) w.insert(w.end(), section->begin(), section->end());
  int64_t recordsStart = int64_t(w.size() + recordStarts.size() + steps.size());
  for (int64_t start : recordStarts) w.push_back(recordsStart + start);
  for (const auto* section : {&steps, &records}) w.insert(w.end(), section->begin(), section->end());
}

uint64_t hashBytes(const void* data, size_t bytes, uint64_t hash) {
  std::vector<uint64_t> words(size_t(ceilDiv(int64_t(bytes), int64_t(8))), 0);
  std::memcpy(words.data(), data, bytes);
  return convopt_hash_words(words.data(), words.size(), hash);
}

}  // namespace

ProgramTable buildProgramTable(const LoweredModel& lowered, const BodyPrograms& bodies, const TableOptions& options) {
  ProgramTable table;
  TableBuilder(lowered, bodies, options, table).build();
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

#include "codegen/lowering/engine_lowering.h"

#include <fmt/format.h>

#include <unordered_map>

#include "ir/error.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen {

bool isStaticFloat(const ir::Value* value) {
  return value && value->type.dtype == ir::DType::Float && value->type.hasStaticShape();
}

bool isStatic4dFloat(const ir::Value* value) { return isStaticFloat(value) && value->type.shape->size() == 4; }

bool broadcastsTo(const std::vector<int64_t>& dims, const std::vector<int64_t>& target) {
  if (dims.size() > target.size()) return false;
  for (size_t i = 1; i <= dims.size(); ++i)
    if (dims[dims.size() - i] != 1 && dims[dims.size() - i] != target[target.size() - i]) return false;
  return true;
}

namespace {

const std::unordered_map<std::string, Lowering::Handler>& handlers() {
  static const std::unordered_map<std::string, Lowering::Handler> table = {
#define LOWERED_OP(op, handler) {#op, &Lowering::handler},
#include "codegen/lowering/lowered_ops.def"
  };
  return table;
}

size_t byteSize(const ir::Value* value) {
  return size_t(ir::checkedElementCount(value->type.staticShape(), value->name())) * ir::elementSize(value->type.dtype);
}

}  // namespace

Lowering::Lowering(Program& program, KernelModule& module, const Target& target, int64_t opset)
    : program_(program), module_(module), target_(target), opset_(opset) {
  program_.vectorWidth = target.vectorWidth;
}

const ir::Tensor* Lowering::constantOf(const ir::Value* value) const {
  if (!value) return nullptr;
  if (value->initializer()) return value->initializer();
  auto it = program_.storage.find(value);
  return it == program_.storage.end() ? nullptr : it->second.constant;
}

void Lowering::lower(const ir::Graph& graph) {
  for (const ir::Value* input : graph.inputs()) {
    if (input->isInitializer()) continue;
    Storage& storage = program_.storage[input];
    if (input->type.hasStaticShape())
      storage.plain = newSlot(byteSize(input)), program_.slots[storage.plain].first = -1;
    else
      storage.dynamic = true;
  }
  concatPlacements_ = planConcatsInPlace(graph, constantLookup(), opset_, vectorWidth());
  scaledInputs_ = planScaledConvInputs(graph, constantLookup());
  for (const auto& [conv, folded] : scaledInputs_) fused_.insert(folded.mul);
  for (const ir::Node* node : graph.nodes()) {
    if (fused_.count(node)) continue;
    if (node->domain.empty() && node->opType == "Constant") {
      std::vector<ir::Tensor> value = runtime::runNodeReference(*node, {}, opset_);
      program_.foldedConstants.push_back(std::move(value.at(0)));
      program_.storage[node->output(0)].constant = &program_.foldedConstants.back();
      continue;
    }
    if (node->domain.empty() && (node->opType == "Identity" || node->opType == "Dropout") &&
        node->outputs().size() == 1 && program_.storage.count(node->input(0))) {
      program_.storage[node->output(0)] = program_.storage[node->input(0)];
      program_.explanation.push_back(fmt::format("{}: {} -> alias of its input", node->label(), node->opType));
      continue;
    }
    auto handler = node->domain.empty() ? handlers().find(node->opType) : handlers().end();
    Status lowered = handler == handlers().end() ? Status::refuse("no generator for " + node->opType)
                                                 : (this->*handler->second)(*node);
    if (!lowered) fallback(*node, lowered.reason());
  }
  for (const ir::Value* output : graph.outputs()) {
    const Storage& storage = program_.storage[output];
    if (storage.constant || storage.dynamic) continue;
    int slot = plainSlot(output);
    program_.slots[slot].last = INT_MAX;
  }
}

void Lowering::fallback(const ir::Node& node, const std::string& reason) {
  Step step;
  step.kind = Step::Kind::Fallback;
  step.node = &node;
  step.category = "fallback " + node.opType, step.label = node.label();
  for (const ir::Value* input : node.inputs())
    if (input && !constantOf(input)) {
      const Storage& storage = program_.storage[input];
      if (!storage.dynamic) touch(plainSlot(input));
    }
  int index = int(program_.steps.size());
  for (const ir::Value* output : node.outputs()) {
    Storage& storage = program_.storage[output];
    if (output->type.hasStaticShape() && ir::elementSize(output->type.dtype) > 0) {
      storage.plain = newSlot(byteSize(output));
      program_.slots[storage.plain].first = program_.slots[storage.plain].last = index;
    } else {
      storage.dynamic = true;
    }
  }
  for (const ir::Value* input : node.inputs())
    if (input && !constantOf(input) && !program_.storage[input].dynamic) touch(program_.storage[input].plain);
  program_.steps.push_back(std::move(step));
  program_.explanation.push_back(fmt::format("{}: {} -> FALLBACK to the reference interpreter ({})", node.label(),
                                             node.opType, reason));
  const ir::ValueType& type = node.output(0)->type;
  program_.fallbacks.push_back({node.opType, node.label(), reason, type.shape ? int(type.shape->size()) : -1});
}

int Lowering::newSlot(size_t bytes) {
  program_.slots.push_back(Slot{bytes});
  return int(program_.slots.size()) - 1;
}

int Lowering::newView(int parent, size_t offset, size_t bytes) {
  int view = newSlot(bytes);
  program_.slots[view].parent = parent, program_.slots[view].parentOffset = offset;
  return view;
}

void Lowering::touch(int slot) {
  while (program_.slots[slot].parent >= 0) slot = program_.slots[slot].parent;
  Slot& s = program_.slots[slot];
  int step = int(program_.steps.size());
  s.first = std::min(s.first, step);
  s.last = std::max(s.last, step);
}

int Lowering::plainSlot(const ir::Value* value) {
  Storage& storage = program_.storage[value];
  if (storage.plain >= 0) return storage.plain;
  if (storage.blocked < 0) throw std::runtime_error("engine: value '" + value->name() + "' has no storage");
  storage.plain = fromBlockedSlot(storage.blocked, value->type.staticShape(), value->name());
  return storage.plain;
}

int Lowering::fromBlockedSlot(int blocked, const std::vector<int64_t>& nchw, const std::string& label) {
  Step step;
  step.kind = Step::Kind::FromBlocked;
  step.category = "reorder from blocked", step.label = label;
  step.shape = runtime::BlockedShape::of(nchw, vectorWidth());
  step.from = blocked, step.to = newSlot(size_t(step.shape.batch * step.shape.channels * step.shape.height *
                                                step.shape.width) * sizeof(float));
  touch(step.from), touch(step.to);
  program_.steps.push_back(step);
  return step.to;
}

int Lowering::blockedSlot(const ir::Value* value) {
  Storage& storage = program_.storage[value];
  if (storage.blocked >= 0) {
    touch(storage.blocked);
    return storage.blocked;
  }
  runtime::BlockedShape shape = runtime::BlockedShape::of(value->type.staticShape(), vectorWidth());
  if (storage.constant || value->initializer()) {
    throw std::runtime_error("engine: constant '" + value->name() + "' used as a blocked activation");
  }
  Step step;
  step.kind = Step::Kind::ToBlocked;
  step.category = "reorder to blocked", step.label = value->name();
  step.shape = shape;
  step.from = plainSlot(value), step.to = storage.blocked = newBlockedSlot(value);
  touch(step.from), touch(step.to);
  program_.steps.push_back(step);
  touch(storage.blocked);
  return storage.blocked;
}

int Lowering::defineBlocked(const ir::Value* value) {
  int slot = newBlockedSlot(value);
  program_.storage[value].blocked = slot;
  touch(slot);
  return slot;
}

int Lowering::newBlockedSlot(const ir::Value* value) {
  size_t bytes = runtime::BlockedShape::of(value->type.staticShape(), vectorWidth()).elements() * sizeof(float);
  auto placement = concatPlacements_.find(value);
  if (placement == concatPlacements_.end()) return newSlot(bytes);
  return newView(concatBuffer(placement->second.whole), concatOffset(value), bytes);
}

size_t Lowering::concatOffset(const ir::Value* value) const {
  // Batch 1: the input's blocks are one range of the Concat's.
  std::vector<int64_t> dims = value->type.staticShape();
  return size_t(concatPlacements_.at(value).channelOffset * dims[2] * dims[3]) * sizeof(float);
}

int Lowering::concatBuffer(const ir::Value* whole) {
  if (program_.storage[whole].blocked < 0) program_.storage[whole].blocked = newBlockedSlot(whole);
  return program_.storage[whole].blocked;
}

int Lowering::definePlain(const ir::Value* value) {
  int slot = newSlot(byteSize(value));
  program_.storage[value].plain = slot;
  touch(slot);
  return slot;
}

int Lowering::addConstant(std::vector<float> data) {
  program_.constants.emplace_back(data.begin(), data.end());
  return int(program_.constants.size()) - 1;
}

void Lowering::appendOutputArgs(std::vector<KernelArg>& args, const ir::Value* output,
                                const std::vector<const ir::Value*>& residuals) {
  std::vector<KernelArg> residualArgs;
  for (const ir::Value* residual : residuals) residualArgs.push_back({KernelArg::Kind::Slot, blockedSlot(residual)});
  args.push_back({KernelArg::Kind::Slot, defineBlocked(output)});
  args.insert(args.end(), residualArgs.begin(), residualArgs.end());
}

std::string Lowering::kernelName(const std::string& family) {
  return fmt::format("k{}_{}", kernelCount_++, family);
}

void Lowering::addKernel(const std::string& name, int64_t units, std::vector<KernelArg> args, const std::string& what,
                         const ir::Node& node) {
  Step step;
  step.kind = Step::Kind::Kernel;
  step.kernelName = name, step.units = units, step.args = std::move(args);
  step.category = name.substr(name.find('_') + 1), step.label = node.label();
  for (const KernelArg& arg : step.args)
    if (arg.kind == KernelArg::Kind::Slot) touch(arg.index);
  program_.steps.push_back(std::move(step));
  program_.kernelsByNode.insert({node.label(), name});
  if (!node.name.empty() && node.name != node.label()) program_.kernelsByNode.insert({node.name, name});
  program_.explanation.push_back(fmt::format("{}: {} -> kernel {} ({})", node.label(), node.opType, name, what));
  for (const ir::Node* fused : pendingFused_)
    program_.explanation.push_back(fmt::format("{}: {} -> fused into {}", fused->label(), fused->opType, name));
  pendingFused_.clear();
}

}  // namespace convopt::codegen

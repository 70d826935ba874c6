#include "codegen/lowering/lowering_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "ir/error.h"

namespace convopt::codegen {

size_t byteSize(const ir::Value* value) {
  return size_t(ir::checkedElementCount(value->type.staticShape(), value->name())) * ir::elementSize(value->type.dtype);
}

LoweringContext::LoweringContext(Program& program, KernelModule& module, const Target& target, int64_t opset,
                                 const LoweringPlan& plan)
    : program_(program), module_(module), target_(target), plan_(plan), opset_(opset) {
  program_.vectorWidth = target.vectorWidth;
}

const ir::Tensor* LoweringContext::constantOf(const ir::Value* value) const { return program_.constantOf(value); }

Status LoweringContext::refusal(const ir::Node& node) const {
  auto it = plan_.refusals.find(&node);
  return Status::refuse(it == plan_.refusals.end() ? "no plan for it" : it->second);
}

void LoweringContext::fallback(const ir::Node& node, const std::string& reason) {
  Step step;
  step.kind = Step::Kind::Fallback;
  step.node = &node;
  step.category = "fallback " + node.opType, step.label = node.label();
  // Its inputs, and the outer values its subgraphs read, are live until it runs.
  std::vector<const ir::Value*> reads(node.inputs().begin(), node.inputs().end());
  reads.insert(reads.end(), node.implicitInputs().begin(), node.implicitInputs().end());
  for (const ir::Value* input : reads)
    if (input && !constantOf(input)) {
      const Storage& storage = program_.storage[input];
      if (!storage.dynamic) touch(plainSlot(input));
    }
  int index = int(program_.steps.size());
  for (const ir::Value* output : node.outputs()) {
    if (!output) continue;  // an optional output the model does not take
    Storage& storage = program_.storage[output];
    if (output->type.hasStaticShape() && ir::elementSize(output->type.dtype) > 0) {
      storage.plain = newSlot(byteSize(output));
      program_.slots[storage.plain].first = program_.slots[storage.plain].last = index;
    } else {
      storage.dynamic = true;
    }
  }
  for (const ir::Value* input : reads)
    if (input && !constantOf(input) && !program_.storage[input].dynamic) touch(program_.storage[input].plain);
  program_.steps.push_back(std::move(step));
  if (!node.subgraphs().empty()) {  // its bodies run compiled (codegen/engine/body_engines.h)
    program_.steps.back().category = "control flow " + node.opType;
    program_.explanation.push_back(fmt::format(
        "{}: {} -> control flow around its bodies, each compiled on its own on first use", node.label(), node.opType));
    return;
  }
  program_.explanation.push_back(
      fmt::format("{}: {} -> FALLBACK to the reference interpreter ({})", node.label(), node.opType, reason));
  const ir::Value* first = node.outputs().empty() ? nullptr : node.output(0);  // a node may have none
  int rank = first && first->type.shape ? int(first->type.shape->size()) : -1;
  program_.fallbacks.push_back({node.opType, node.label(), reason, rank});
}

int LoweringContext::newSlot(size_t bytes) {
  program_.slots.push_back(Slot{bytes});
  return int(program_.slots.size()) - 1;
}

int LoweringContext::newView(int parent, size_t offset, size_t bytes) {
  int view = newSlot(bytes);
  program_.slots[view].parent = parent, program_.slots[view].parentOffset = offset;
  return view;
}

void LoweringContext::touch(int slot) {
  while (program_.slots[slot].parent >= 0) slot = program_.slots[slot].parent;
  Slot& s = program_.slots[slot];
  int step = int(program_.steps.size());
  s.first = std::min(s.first, step);
  s.last = std::max(s.last, step);
}

int LoweringContext::plainSlot(const ir::Value* value) {
  Storage& storage = program_.storage[value];
  if (storage.plain >= 0) return storage.plain;
  if (storage.blocked < 0) throw std::runtime_error("engine: value '" + value->name() + "' has no storage");
  storage.plain = fromBlockedSlot(storage.blocked, value->type.staticShape(), value->name());
  return storage.plain;
}

int LoweringContext::fromBlockedSlot(int blocked, const std::vector<int64_t>& nchw, const std::string& label) {
  Step step;
  step.kind = Step::Kind::FromBlocked;
  step.category = "reorder from blocked", step.label = label;
  step.shape = runtime::BlockedShape::of(nchw, vectorWidth());
  step.from = blocked,
  step.to =
      newSlot(size_t(step.shape.batch * step.shape.channels * step.shape.height * step.shape.width) * sizeof(float));
  touch(step.from), touch(step.to);
  step.bytes = int64_t(program_.slots[step.from].bytes + program_.slots[step.to].bytes);
  program_.steps.push_back(step);
  return step.to;
}

int LoweringContext::blockedSlot(const ir::Value* value) {
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
  step.bytes = int64_t(program_.slots[step.from].bytes + program_.slots[step.to].bytes);
  program_.steps.push_back(step);
  touch(storage.blocked);
  return storage.blocked;
}

int LoweringContext::defineBlocked(const ir::Value* value) {
  int slot = newBlockedSlot(value);
  program_.storage[value].blocked = slot;
  touch(slot);
  return slot;
}

int LoweringContext::newBlockedSlot(const ir::Value* value) {
  size_t bytes = runtime::BlockedShape::of(value->type.staticShape(), vectorWidth()).elements() * sizeof(float);
  auto placement = plan_.fusion.concatPlacements.find(value);
  if (placement == plan_.fusion.concatPlacements.end()) return newSlot(bytes);
  return newView(concatBuffer(placement->second.whole), concatOffset(value), bytes);
}

size_t LoweringContext::concatOffset(const ir::Value* value) const {
  // Batch 1: the input's blocks are one range of the Concat's.
  std::vector<int64_t> dims = value->type.staticShape();
  return size_t(plan_.fusion.concatPlacements.at(value).channelOffset * dims[2] * dims[3]) * sizeof(float);
}

int LoweringContext::concatBuffer(const ir::Value* whole) {
  if (program_.storage[whole].blocked < 0) program_.storage[whole].blocked = newBlockedSlot(whole);
  return program_.storage[whole].blocked;
}

int LoweringContext::definePlain(const ir::Value* value) {
  int slot = newSlot(byteSize(value));
  program_.storage[value].plain = slot;
  touch(slot);
  return slot;
}

int LoweringContext::addConstant(std::span<const float> data) {
  program_.constants.emplace_back(data.begin(), data.end());
  return int(program_.constants.size()) - 1;
}

void LoweringContext::appendOutputArgs(std::vector<KernelArg>& args, const ir::Value* output,
                                       const std::vector<const ir::Value*>& residuals) {
  std::vector<KernelArg> residualArgs;
  for (const ir::Value* residual : residuals) residualArgs.push_back({KernelArg::Kind::Slot, blockedSlot(residual)});
  args.push_back({KernelArg::Kind::Slot, defineBlocked(output)});
  args.insert(args.end(), residualArgs.begin(), residualArgs.end());
}

std::string LoweringContext::kernelName(const std::string& family) {
  return fmt::format("{}{}_{}", program_.kernelPrefix, kernelCount_++, family);
}

void LoweringContext::addKernel(const std::string& name, int64_t units, std::vector<KernelArg> args,
                                const std::string& what, const ir::Node& node,
                                const std::vector<const ir::Node*>& fused, int64_t macs) {
  Step step;
  step.kind = Step::Kind::Kernel;
  step.kernelName = name, step.units = units, step.args = std::move(args);
  step.category = name.substr(name.find('_') + 1), step.label = node.label();
  step.macs = macs;
  std::set<std::pair<KernelArg::Kind, int>> counted;  // an argument passed twice is read once
  for (const KernelArg& arg : step.args) {
    if (arg.kind == KernelArg::Kind::Slot) touch(arg.index);
    if (!counted.insert({arg.kind, arg.index}).second) continue;
    step.bytes += arg.kind == KernelArg::Kind::Slot ? int64_t(program_.slots[arg.index].bytes)
                                                    : int64_t(program_.constants[arg.index].size() * sizeof(float));
  }
  program_.steps.push_back(std::move(step));
  program_.kernelsByNode.insert({node.label(), name});
  if (!node.name.empty() && node.name != node.label()) program_.kernelsByNode.insert({node.name, name});
  program_.explanation.push_back(fmt::format("{}: {} -> kernel {} ({})", node.label(), node.opType, name, what));
  for (const ir::Node* follower : fused)
    program_.explanation.push_back(fmt::format("{}: {} -> fused into {}", follower->label(), follower->opType, name));
}

}  // namespace convopt::codegen

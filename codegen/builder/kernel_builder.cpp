#include "codegen/builder/kernel_builder.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/Intrinsics.h>

namespace convopt::codegen {

KernelBuilder::KernelBuilder(llvm::Module& module, const std::string& name, int vectorWidth)
    : builder_(module.getContext()), vectorWidth_(vectorWidth) {
  llvm::LLVMContext& context = module.getContext();
  auto* ptr = llvm::PointerType::getUnqual(context);
  auto* i64 = llvm::Type::getInt64Ty(context);
  auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr, i64, i64}, false);
  function_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module);
  function_->addFnAttr(llvm::Attribute::NoUnwind);
  function_->addParamAttr(0, llvm::Attribute::NoAlias);
  function_->addParamAttr(0, llvm::Attribute::ReadOnly);
  buffers_ = function_->getArg(0);
  begin_ = function_->getArg(1);
  end_ = function_->getArg(2);
  buffers_->setName("buffers");
  begin_->setName("begin");
  end_->setName("end");
  entry_ = llvm::BasicBlock::Create(context, "entry", function_);
  builder_.SetInsertPoint(entry_);
  vectorType_ = llvm::FixedVectorType::get(builder_.getFloatTy(), vectorWidth);
}

KernelBuilder::~KernelBuilder() { builder_.CreateRetVoid(); }

llvm::Value* KernelBuilder::buffer(int index) {
  llvm::IRBuilder<> atEntry(entry_, entry_->getFirstInsertionPt());
  llvm::Value* slot = atEntry.CreateConstInBoundsGEP1_64(atEntry.getPtrTy(), buffers_, index);
  return atEntry.CreateLoad(atEntry.getPtrTy(), slot, "buffer" + std::to_string(index));
}

llvm::Value* KernelBuilder::i64(int64_t value) { return builder_.getInt64(value); }

llvm::Value* KernelBuilder::splat(float value) { return llvm::ConstantFP::get(vectorType_, value); }

llvm::Value* KernelBuilder::splat(llvm::Value* scalar) { return builder_.CreateVectorSplat(vectorWidth_, scalar); }

llvm::Value* KernelBuilder::pointer(llvm::Value* base, llvm::Value* offset) {
  return builder_.CreateGEP(builder_.getFloatTy(), base, offset);
}

llvm::Value* KernelBuilder::loadVector(llvm::Value* base, llvm::Value* offset) {
  llvm::Value* address = builder_.CreateInBoundsGEP(builder_.getFloatTy(), base, offset);
  return builder_.CreateAlignedLoad(vectorType_, address, llvm::Align(4));
}

llvm::Value* KernelBuilder::loadBroadcast(llvm::Value* base, llvm::Value* offset) {
  llvm::Value* address = builder_.CreateInBoundsGEP(builder_.getFloatTy(), base, offset);
  return splat(builder_.CreateAlignedLoad(builder_.getFloatTy(), address, llvm::Align(4)));
}

void KernelBuilder::storeVector(llvm::Value* base, llvm::Value* offset, llvm::Value* vector) {
  llvm::Value* address = builder_.CreateInBoundsGEP(builder_.getFloatTy(), base, offset);
  builder_.CreateAlignedStore(vector, address, llvm::Align(4));
}

llvm::Value* KernelBuilder::laneMask(int lanes) {
  std::vector<llvm::Constant*> bits;
  for (int lane = 0; lane < vectorWidth_; ++lane) bits.push_back(builder_.getInt1(lane < lanes));
  return llvm::ConstantVector::get(bits);
}

llvm::Value* KernelBuilder::loadLanes(llvm::Value* base, llvm::Value* offset, int lanes, float fill) {
  if (lanes >= vectorWidth_) return loadVector(base, offset);
  llvm::Value* address = builder_.CreateInBoundsGEP(builder_.getFloatTy(), base, offset);
  return builder_.CreateMaskedLoad(vectorType_, address, llvm::Align(4), laneMask(lanes), splat(fill));
}

void KernelBuilder::storeLanes(llvm::Value* base, llvm::Value* offset, llvm::Value* vector, int lanes) {
  if (lanes >= vectorWidth_) return storeVector(base, offset, vector);
  llvm::Value* address = builder_.CreateInBoundsGEP(builder_.getFloatTy(), base, offset);
  builder_.CreateMaskedStore(vector, address, llvm::Align(4), laneMask(lanes));
}

llvm::Value* KernelBuilder::loadStrided(llvm::Value* base, llvm::Value* offset, int64_t stride, int lanes) {
  if (stride == 1) return loadLanes(base, offset, lanes);
  if (stride == -1) {
    llvm::Value* ascending = loadLanes(base, builder_.CreateSub(offset, i64(lanes - 1)), lanes);
    std::vector<int> reverse(vectorWidth_);
    for (int lane = 0; lane < vectorWidth_; ++lane) reverse[lane] = lane < lanes ? lanes - 1 - lane : lane;
    return builder_.CreateShuffleVector(ascending, reverse);
  }
  std::vector<llvm::Constant*> steps;
  for (int lane = 0; lane < vectorWidth_; ++lane) steps.push_back(builder_.getInt64(lane * stride));
  llvm::Value* offsets =
      builder_.CreateAdd(builder_.CreateVectorSplat(vectorWidth_, offset), llvm::ConstantVector::get(steps));
  llvm::Value* addresses = builder_.CreateGEP(builder_.getFloatTy(), base, offsets);
  return builder_.CreateMaskedGather(vectorType_, addresses, llvm::Align(4), laneMask(lanes), zero());
}

namespace {

llvm::Value* globalTable(llvm::Function* function, llvm::Constant* data) {
  return new llvm::GlobalVariable(*function->getParent(), data->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                  data, function->getName() + ".table");
}

}  // namespace

llvm::Value* KernelBuilder::constantTable(std::span<const int64_t> values) {
  return globalTable(function_,
                     llvm::ConstantDataArray::get(builder_.getContext(), llvm::ArrayRef(values.data(), values.size())));
}

llvm::Value* KernelBuilder::constantTable(std::span<const float> values) {
  return globalTable(function_,
                     llvm::ConstantDataArray::get(builder_.getContext(), llvm::ArrayRef(values.data(), values.size())));
}

llvm::Value* KernelBuilder::loadIndex(llvm::Value* table, llvm::Value* offset) {
  llvm::Value* address = builder_.CreateInBoundsGEP(builder_.getInt64Ty(), table, offset);
  return builder_.CreateLoad(builder_.getInt64Ty(), address);
}

void KernelBuilder::prefetchToL2(llvm::Value* base, llvm::Value* offset) {
  // llvm.prefetch(address, rw = read, locality = 2 (prefetcht1: L2), cache = data)
  builder_.CreateIntrinsic(llvm::Intrinsic::prefetch, {builder_.getPtrTy()},
                           {pointer(base, offset), builder_.getInt32(0), builder_.getInt32(2), builder_.getInt32(1)});
}

llvm::Value* KernelBuilder::fma(llvm::Value* a, llvm::Value* b, llvm::Value* accumulator) {
  return builder_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vectorType_}, {a, b, accumulator});
}

// Compare+select rather than llvm.maxnum: one vmaxps (b, a), whose NaN case
// gives a: a NaN in `a` comes out (Relu and Clip of NaN are NaN, as onnxruntime
// has them), a NaN in `b` does not (a pool's window value, past the running max).
llvm::Value* KernelBuilder::max(llvm::Value* a, llvm::Value* b) {
  return builder_.CreateSelect(builder_.CreateFCmpOLT(a, b), b, a);
}

llvm::Value* KernelBuilder::min(llvm::Value* a, llvm::Value* b) {
  return builder_.CreateSelect(builder_.CreateFCmpOGT(a, b), b, a);
}

llvm::Value* KernelBuilder::acrossLanes(llvm::Value* vector,
                                        const std::function<llvm::Value*(llvm::Value*, llvm::Value*)>& op) {
  for (int distance = vectorWidth_ / 2; distance >= 1; distance /= 2) {
    std::vector<int> mask(vectorWidth_);
    for (int lane = 0; lane < vectorWidth_; ++lane) mask[lane] = lane ^ distance;
    vector = op(vector, builder_.CreateShuffleVector(vector, mask));
  }
  return vector;
}

llvm::AllocaInst* KernelBuilder::vectorVariable(llvm::Value* initial) {
  llvm::IRBuilder<> atEntry(entry_, entry_->getFirstInsertionPt());
  llvm::AllocaInst* slot = atEntry.CreateAlloca(initial->getType());
  builder_.CreateStore(initial, slot);
  return slot;
}

llvm::Value* KernelBuilder::scratchFloats(int64_t count) {
  llvm::IRBuilder<> atEntry(entry_, entry_->getFirstInsertionPt());
  llvm::AllocaInst* scratch = atEntry.CreateAlloca(builder_.getFloatTy(), i64(count));
  scratch->setAlignment(llvm::Align(64));
  return scratch;
}

void KernelBuilder::forLoop(llvm::Value* first, llvm::Value* last, int64_t step,
                            const std::function<void(llvm::Value*)>& body, Unroll unroll) {
  llvm::LLVMContext& context = builder_.getContext();
  llvm::BasicBlock* before = builder_.GetInsertBlock();
  auto* header = llvm::BasicBlock::Create(context, "loop", function_);
  auto* bodyBlock = llvm::BasicBlock::Create(context, "body", function_);
  auto* exit = llvm::BasicBlock::Create(context, "exit", function_);
  builder_.CreateBr(header);
  builder_.SetInsertPoint(header);
  llvm::PHINode* index = builder_.CreatePHI(builder_.getInt64Ty(), 2, "i");
  index->addIncoming(first, before);
  builder_.CreateCondBr(builder_.CreateICmpSLT(index, last), bodyBlock, exit);
  builder_.SetInsertPoint(bodyBlock);
  body(index);
  index->addIncoming(builder_.CreateAdd(index, i64(step)), builder_.GetInsertBlock());
  llvm::BranchInst* latch = builder_.CreateBr(header);
  if (unroll != Unroll::Allowed) {
    // A distinct self-referencing loop ID carrying the unroll hint.
    llvm::MDNode* hint = unroll == Unroll::Never
                             ? llvm::MDNode::get(context, llvm::MDString::get(context, "llvm.loop.unroll.disable"))
                             : llvm::MDNode::get(context, {llvm::MDString::get(context, "llvm.loop.unroll.count"),
                                                           llvm::ConstantAsMetadata::get(builder_.getInt32(4))});
    llvm::MDNode* id = llvm::MDNode::getDistinct(context, {nullptr, hint});
    id->replaceOperandWith(0, id);
    latch->setMetadata(llvm::LLVMContext::MD_loop, id);
  }
  builder_.SetInsertPoint(exit);
}

void KernelBuilder::ifThen(llvm::Value* condition, const std::function<void()>& body) {
  llvm::LLVMContext& context = builder_.getContext();
  auto* then = llvm::BasicBlock::Create(context, "then", function_);
  auto* join = llvm::BasicBlock::Create(context, "join", function_);
  builder_.CreateCondBr(condition, then, join);
  builder_.SetInsertPoint(then);
  body();
  builder_.CreateBr(join);
  builder_.SetInsertPoint(join);
}

}  // namespace convopt::codegen

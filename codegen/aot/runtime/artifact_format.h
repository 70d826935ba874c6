/* The contract between `convopt compile` and the runtime inside every artifact
 * it writes: the layout of the program table the compiler generates, the
 * weights file header, the hash both sides compute and the status codes.
 * Plain C (no libc headers), included by the C++ compiler and the C runtime. */
#ifndef CONVOPT_AOT_ARTIFACT_FORMAT_H
#define CONVOPT_AOT_ARTIFACT_FORMAT_H
#include <stdint.h>

/* Program table (int64 words): a header, then per constant (payload offset,
 * bytes), per input (arena offset, bytes), per output (source, offset or
 * constant index, bytes), per body the word its record starts at, then the
 * steps, each a kind word followed by the words that kind takes (see the
 * CONVOPT_STEP_* comments), then the bodies' records.
 *
 * A body (of an If or a Loop, compiled as a program of its own with its own
 * region of the arena) is recorded as: input count, per input (arena offset,
 * bytes), output count, per output (source, offset or constant index, bytes),
 * step count, steps. A control-flow step copies its node's values into the
 * body's inputs, runs its steps and copies its outputs out. */
enum convopt_program_header {
  CONVOPT_P_FORMAT,    /* CONVOPT_FORMAT_VERSION */
  CONVOPT_P_CODE_HASH, /* must equal the weights header's */
  CONVOPT_P_ARENA_BYTES,
  CONVOPT_P_PAYLOAD_BYTES,
  CONVOPT_P_NUM_CONSTANTS,
  CONVOPT_P_NUM_INPUTS,
  CONVOPT_P_NUM_OUTPUTS,
  CONVOPT_P_NUM_STEPS,
  CONVOPT_P_MAX_KERNEL_ARGS,   /* the most buffers a kernel or fallback step passes */
  CONVOPT_P_REQUIRED_FEATURES, /* mask of codegen/engine/cpu_features.def bits */
  CONVOPT_P_FLUSH_DENORMALS,   /* kernels run with denormals as zero */
  CONVOPT_P_NUM_FALLBACKS,     /* nodes run by libconvopt_fallback (--allow-fallback) */
  CONVOPT_P_NUM_BODIES,        /* If and Loop bodies */
  CONVOPT_P_HEADER_WORDS
};

enum convopt_step_kind {
  CONVOPT_STEP_KERNEL = 0,     /* kernel index, units, argument count, then per argument (source, offset) */
  CONVOPT_STEP_TO_BLOCKED = 1, /* from offset, to offset, batch, channels, height, width, vector width */
  CONVOPT_STEP_FROM_BLOCKED = 2,
  CONVOPT_STEP_FALLBACK = 3, /* fallback index, input count, input offsets, output count, output offsets (arena) */
  /* If: condition (source, offset), output count, output offsets (arena),
   * then a body call per branch (then, else). A body call: body index, count
   * of its inputs it binds, per input the value it takes (source, offset). */
  CONVOPT_STEP_IF = 4,
  /* Loop: trip count (source, offset), condition (source, offset), carried
   * count, per carried value its initial value (source, offset), scan output
   * count, the trips scan outputs hold, output offsets (arena; carried values,
   * then scan outputs), a body call binding the captures. The body's inputs:
   * iteration number (int64), condition (bool), carried values, captures; its
   * outputs: condition, carried values, scan outputs. */
  CONVOPT_STEP_LOOP = 5
};

enum convopt_buffer_source {
  CONVOPT_ARENA = 0,    /* a byte offset into the session's arena */
  CONVOPT_CONSTANT = 1, /* a constant's index */
  CONVOPT_ABSENT = 2    /* an optional input left out */
};

#define CONVOPT_FORMAT_VERSION 3
#define CONVOPT_WEIGHTS_MAGIC "CVOPTWTS"
#define CONVOPT_BYTE_ORDER_MARK 0x01020304u
#define CONVOPT_ALIGNMENT 64 /* of the payload, each constant and the arena */

/* The weights file (or the embedded copy): this header, then the payload. */
struct convopt_weights_header { /* 64 bytes */
  char magic[8];
  uint32_t format;
  uint32_t byte_order; /* CONVOPT_BYTE_ORDER_MARK as the writer stored it */
  uint64_t code_hash;
  uint64_t payload_bytes;
  uint64_t payload_hash;
  uint64_t reserved[3];
};

/* FNV-1a over 64-bit words (the payload is padded to whole words): one pass
 * at load time that catches a truncated or corrupted file. */
static inline uint64_t convopt_hash_words(const uint64_t* words, uint64_t count, uint64_t hash) {
  for (uint64_t i = 0; i < count; ++i) hash = (hash ^ words[i]) * 0x100000001b3ull;
  return hash;
}
#define CONVOPT_HASH_SEED 0xcbf29ce484222325ull

/* Status codes of the C API: X(name, value, what it means). */
#define CONVOPT_STATUS_LIST(X)                                                                                     \
  X(OK, 0, "ok")                                                                                                   \
  X(BAD_ARGUMENT, 1, "bad argument (a null pointer, a negative thread count or an arena not aligned to 64 bytes)") \
  X(WEIGHTS_UNREADABLE, 2, "the weights file cannot be opened or read")                                            \
  X(WEIGHTS_CORRUPT, 3, "the weights file is truncated or corrupt")                                                \
  X(WEIGHTS_MISMATCH, 4, "the weights file belongs to another compile of this or another model")                   \
  X(NO_EMBEDDED_WEIGHTS, 5, "the model was compiled without --embed-weights: give the weights file's path")        \
  X(CPU_UNSUPPORTED, 6, "this CPU lacks an instruction set extension the model was compiled for")                  \
  X(OUT_OF_MEMORY, 7, "out of memory")                                                                             \
  X(THREADS_FAILED, 8, "cannot start the session's threads")                                                       \
  X(FALLBACK_FAILED, 9,                                                                                            \
    "libconvopt_fallback could not load or run a node compiled without a kernel (--allow-fallback)")               \
  X(LOOP_TRIPS, 10, "a Loop with scan outputs ran another number of trips than its outputs were compiled for")

enum convopt_status {
#define X(name, value, text) CONVOPT_##name = value,
  CONVOPT_STATUS_LIST(X)
#undef X
      CONVOPT_STATUS_COUNT
};

#endif

/* The fallback library (libconvopt_fallback.so, installed by `cmake --install`):
 * runs, inside an artifact compiled with `convopt compile --allow-fallback`,
 * the nodes that have no generated kernel, with convopt's reference
 * interpreter — the same code the JIT engine falls back to, so both compute
 * the same bits. The artifact's runtime calls it; a program only links it
 * (-lconvopt_fallback) and never calls it itself.
 *
 * Each node travels as a one-node ONNX model: its constant inputs as
 * initializers, its other inputs as graph inputs of fixed shape and type (the
 * buffers `run` reads, in that order), its outputs as graph outputs (the
 * buffers `run` writes). The functions are thread-safe: a loaded node is
 * immutable and may run from several threads at once. */
#ifndef CONVOPT_FALLBACK_H
#define CONVOPT_FALLBACK_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when a function below changes: an artifact passes the version it was
 * compiled against and `load` refuses another. */
#define CONVOPT_FALLBACK_ABI_VERSION 1

typedef struct convopt_fallback_node convopt_fallback_node;

/* 0 on success; non-zero when the bytes are not a one-node model this library
 * can run or `abi_version` is not CONVOPT_FALLBACK_ABI_VERSION. */
int convopt_fallback_load(int abi_version, const void* onnx_model, size_t bytes, convopt_fallback_node** out);
/* Reads one buffer per graph input, writes one per graph output (dense, of the
 * declared shape and type); 0 on success. */
int convopt_fallback_run(const convopt_fallback_node* node, const void* const* inputs, void* const* outputs);
void convopt_fallback_free(convopt_fallback_node* node);
/* Why the last failing call on this thread failed ("" if none did). */
const char* convopt_fallback_last_error(void);

#ifdef __cplusplus
}
#endif
#endif

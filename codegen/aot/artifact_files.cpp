#include "codegen/aot/artifact_files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "codegen/aot/runtime/artifact_format.h"

#ifndef CONVOPT_VERSION
#define CONVOPT_VERSION "0"
#endif

namespace convopt::codegen {
namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  return text;
}

// A C string literal of `text` (names may hold any character ONNX allows);
// '?' escaped too, so that no "??/" reads as a trigraph (C99, C++ before 17).
std::string cString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c == '?')
      out += '\\', out += char(c);
    else if (c < 0x20 || c >= 0x7f)
      out += fmt::format("\\{:03o}", c);
    else
      out += char(c);
  }
  return out + "\"";
}

// `text` safe inside a C block comment: no "*/", no line breaks.
std::string commentText(const std::string& text) {
  std::string out;
  for (char c : text) {
    if ((c == '/' && !out.empty() && out.back() == '*') || (c == '*' && !out.empty() && out.back() == '/'))
      out += ' ';  // neither "*/" nor "/*" (-Wcomment)
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out;
}

std::string tensorDefines(const std::string& macro, const char* role, const std::vector<ArtifactTensor>& tensors) {
  std::string text;
  std::vector<int64_t> elements, bytes;
  std::vector<std::string> dtypes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ArtifactTensor& t = tensors[i];
    std::string p = fmt::format("{}_{}_{}", macro, role, i);
    text += fmt::format(
        "#define {0}_NAME {1}\n#define {0}_DTYPE \"{2}\"\n#define {0}_RANK {3}\n#define {0}_SHAPE {{{4}}}\n"
        "#define {0}_ELEMENTS {5}\n#define {0}_BYTES {6}\n",
        p, cString(t.name), t.dtypeName(), t.dims.size(), fmt::join(t.dims, ", "), t.elements(), t.bytes());
    elements.push_back(t.elements()), bytes.push_back(t.bytes()), dtypes.push_back(cString(t.dtypeName()));
  }
  return text + fmt::format(
                    "#define {0}_{1}_ELEMENTS {{{2}}}\n#define {0}_{1}_BYTES {{{3}}}\n#define {0}_{1}_DTYPES {{{4}}}\n",
                    macro, role, fmt::join(elements, ", "), fmt::join(bytes, ", "), fmt::join(dtypes, ", "));
}

bool allFloat(const ProgramTable& table) {
  for (const auto* list : {&table.inputs, &table.outputs})
    for (const ArtifactTensor& t : *list)
      if (t.dtype != ir::DType::Float) return false;
  return true;
}

constexpr const char* kStatusNames[] = {
#define X(name, value, text) #name,
    CONVOPT_STATUS_LIST(X)
#undef X
};

// Which nodes libconvopt_fallback runs, and so what the program must link.
std::string fallbackNote(const ProgramTable& table) {
  if (table.fallbackNodes.empty()) return "";
  return fmt::format(
      "\n * - Compiled with --allow-fallback: {} node(s) without a kernel run in\n"
      " *   libconvopt_fallback (the reference interpreter): link the program with\n"
      " *   -lconvopt_fallback (`cmake --install` puts it in PREFIX/lib). Its nodes:\n *   {}.",
      table.fallbackNodes.size(), commentText(fmt::format("{}", fmt::join(table.fallbackNodes, ", "))));
}

}  // namespace

std::string artifactHeader(const ArtifactDescription& d, const ProgramTable& table, const Target& target) {
  const std::string& n = d.name;
  std::string m = upper(n);
  std::string statuses;
  for (size_t i = 0; i < std::size(kStatusNames); ++i)
    statuses += fmt::format("#define {}_{} {}\n", m, kStatusNames[i], i);
  return fmt::format(
      R"(/* {n}.h: the C API of a model compiled ahead of time by convopt {version}.
 * Source model: {source} (FNV-1a 64 {hash}). Target: {triple}, CPU {cpu}.
 *
 * Contract:
 * - {n}_model_load reads the weights file written beside this header (NULL:
 *   the weights compiled in with --embed-weights) and checks that it belongs to
 *   this very compile and that this CPU has every instruction set extension
 *   the code uses. A model is immutable: any number of sessions share it.
 * - A session owns an arena of {m}_ARENA_BYTES bytes (yours, 64-byte aligned,
 *   or NULL to allocate one) and a pool of num_threads threads counting the
 *   caller (0: one per online CPU). Sessions of one model may run concurrently
 *   from different threads; one session runs one {n}_run at a time.
 * - With more than one thread, a session times its runs on one thread against
 *   runs on all and uses the faster (where cores are far apart, a small model
 *   runs slower on two); {n}_session_fix_threads(session, 1) always uses all.
 * - {n}_run takes one buffer per input and per output, dense row-major
 *   (NCHW for 4-D tensors), of the element types and counts below; {n}_data
 *   is float when every one is float32, else void.
 * - Every function returns a status ({m}_OK is 0) and never aborts;
 *   {n}_status_string says what a status means.
 * - Dims, batch included, are fixed at compile time; If and Loop nodes run
 *   their bodies compiled.{fallback} */
#ifndef {m}_H
#define {m}_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {{
#endif

#define {m}_NUM_INPUTS {inputs}
#define {m}_NUM_OUTPUTS {outputs}
{input_defines}{output_defines}#define {m}_ARENA_BYTES {arena}
#define {m}_WEIGHTS_BYTES {weights}
#define {m}_NUM_FALLBACK_NODES {num_fallbacks}
{statuses}
typedef {data} {n}_data;                /* the element type of {n}_run's buffers */
typedef struct {n}_model {n}_model;     /* code + weights, immutable, shared by sessions */
typedef struct {n}_session {n}_session; /* one arena and thread pool; one run at a time */

int {n}_model_load(const char* weights_path, {n}_model** out); /* NULL path: embedded weights */
int {n}_model_from_memory(const void* data, size_t bytes, {n}_model** out); /* a weights file's bytes (copied) */
void {n}_model_free({n}_model* model);
int {n}_session_create(const {n}_model* model, int num_threads, void* arena /* NULL: allocate */,
                       {n}_session** out);
int {n}_session_fix_threads({n}_session* session, int fixed); /* 1: never fewer threads (default 0) */
int {n}_run({n}_session* session, const {n}_data* const* inputs, {n}_data* const* outputs);
void {n}_session_free({n}_session* session);
const char* {n}_status_string(int status);

#ifdef __cplusplus
}}
#endif
#endif
)",
      fmt::arg("n", n), fmt::arg("m", m), fmt::arg("version", CONVOPT_VERSION),
      fmt::arg("source", commentText(d.sourceModel)), fmt::arg("hash", d.sourceHash), fmt::arg("triple", target.triple),
      fmt::arg("cpu", target.cpu), fmt::arg("inputs", table.inputs.size()), fmt::arg("outputs", table.outputs.size()),
      fmt::arg("input_defines", tensorDefines(m, "INPUT", table.inputs)),
      fmt::arg("output_defines", tensorDefines(m, "OUTPUT", table.outputs)),
      fmt::arg("arena", table.words[CONVOPT_P_ARENA_BYTES]),
      fmt::arg("weights", sizeof(convopt_weights_header) + table.payload.size()), fmt::arg("statuses", statuses),
      fmt::arg("num_fallbacks", table.fallbackNodes.size()), fmt::arg("fallback", fallbackNote(table)),
      fmt::arg("data", allFloat(table) ? "float" : "void"));
}

std::string artifactJson(const ArtifactDescription& d, const ProgramTable& table, const Target& target) {
  auto tensors = [](const std::vector<ArtifactTensor>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const ArtifactTensor& t : list)
      out.push_back({{"name", t.name},
                     {"dtype", t.dtypeName()},
                     {"shape", t.dims},
                     {"elements", t.elements()},
                     {"bytes", t.bytes()},
                     {"layout", t.dims.size() == 4 ? "NCHW" : "row-major"}});
    return out;
  };
  nlohmann::json json = {
      {"name", d.name},
      {"convopt_version", CONVOPT_VERSION},
      {"source_model", {{"path", d.sourceModel}, {"fnv1a64", d.sourceHash}}},
      {"target",
       {{"triple", target.triple},
        {"cpu", target.cpu},
        {"required_features", d.features},
        {"vector_width", target.vectorWidth}}},
      {"format", d.format},
      {"files", d.files},
      {"inputs", tensors(table.inputs)},
      {"outputs", tensors(table.outputs)},
      {"arena_bytes", table.words[CONVOPT_P_ARENA_BYTES]},
      {"weights_bytes", sizeof(convopt_weights_header) + table.payload.size()},
      {"embedded_weights", d.embeddedWeights},
      {"flush_denormals", d.flushDenormals},
      {"kernels", table.kernels.size()},
      {"steps", table.words[CONVOPT_P_NUM_STEPS]},
      {"fallback_nodes", table.fallbackNodes},
      {"link_libraries", table.fallbackNodes.empty() ? std::vector<std::string>{"m", "pthread"}
                                                     : std::vector<std::string>{"convopt_fallback", "m", "pthread"}},
  };
  return json.dump(2) + "\n";
}

}  // namespace convopt::codegen

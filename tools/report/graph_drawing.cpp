#include "tools/report/graph_drawing.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace convopt::report {
namespace {

std::string dotString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {  // DOT's line break in a label
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string dotText(const ir::Graph& graph, const std::string& prefix,
                    const std::map<std::string, std::string>& marks) {
  std::string dot =
      "digraph G {\n  rankdir=TB; nodesep=0.25; ranksep=0.3;\n"
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef2f7\", color=\"#8a99ad\", "
      "fontname=\"Helvetica\", fontsize=10, height=0.3];\n  edge [color=\"#8a99ad\", arrowsize=0.6];\n";
  std::map<const ir::Value*, std::string> source;  // DOT node that produces each value
  for (size_t i = 0; i < graph.inputs().size(); ++i) {
    const ir::Value* input = graph.inputs()[i];
    if (input->isInitializer()) continue;
    std::string id = fmt::format("{}-in{}", prefix, i);
    dot += fmt::format("  {} [id={}, class=\"io\", shape=ellipse, fillcolor=\"#ffffff\", label={}];\n", dotString(id),
                       dotString(id), dotString(input->name()));
    source[input] = id;
  }
  std::vector<ir::Node*> nodes = graph.nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ir::Node& node = *nodes[i];
    std::string id = fmt::format("{}-n{}", prefix, i);
    std::string mark;
    if (!node.outputs().empty() && node.output(0))
      if (auto it = marks.find(node.output(0)->name()); it != marks.end()) mark = " " + it->second;
    std::string label = node.opType;
    if (!node.name.empty()) label.append("\n").append(node.name, 0, 28);
    dot += fmt::format("  {} [id={}, class={}, label={}];\n", dotString(id), dotString(id), dotString("op" + mark),
                       dotString(label));
    for (const ir::Value* output : node.outputs())
      if (output) source[output] = id;
    for (const ir::Value* input : node.inputs())
      if (auto it = input ? source.find(input) : source.end(); it != source.end())
        dot += fmt::format("  {} -> {};\n", dotString(it->second), dotString(id));
  }
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    std::string id = fmt::format("{}-out{}", prefix, i);
    dot += fmt::format("  {} [id={}, class=\"io\", shape=ellipse, fillcolor=\"#ffffff\", label={}];\n", dotString(id),
                       dotString(id), dotString(graph.outputs()[i]->name()));
    if (auto it = source.find(graph.outputs()[i]); it != source.end())
      dot += fmt::format("  {} -> {};\n", dotString(it->second), dotString(id));
  }
  return dot + "}\n";
}

// `dot -Tsvg` on the text; its output, or empty with `why` set.
std::string runDot(const std::string& text, std::string& why) {
  // A file of its own: reports may be drawn by several threads at once (Python releases the GIL).
  std::string file = (std::filesystem::temp_directory_path() / "convopt-XXXXXX.dot").string();
  int fd = mkstemps(file.data(), 4);
  bool written = fd >= 0 && write(fd, text.data(), text.size()) == ssize_t(text.size());
  if (fd >= 0) close(fd);
  if (!written) {
    if (fd >= 0) std::filesystem::remove(file);
    why = "the graph's DOT file could not be written to the temporary folder";
    return "";
  }
  std::string command = fmt::format("dot -Tsvg '{}' 2>/dev/null", file);
  std::string svg;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    std::array<char, 65536> buffer;
    for (size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) svg.append(buffer.data(), n);
    int status = pclose(pipe);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      why = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "Graphviz's dot is not installed (Debian: graphviz)"
                                                            : "Graphviz's dot failed on the graph";
      svg.clear();
    }
  }
  std::filesystem::remove(file);
  return svg;
}

}  // namespace

GraphDrawing drawGraph(const ir::Graph& graph, const std::string& idPrefix,
                       const std::map<std::string, std::string>& marks) {
  GraphDrawing drawing;
  std::string svg = runDot(dotText(graph, idPrefix, marks), drawing.unavailable);
  size_t start = svg.find("<svg");
  if (start == std::string::npos) {
    if (drawing.unavailable.empty()) drawing.unavailable = "Graphviz's dot gave no SVG";
    return drawing;
  }
  drawing.svg = svg.substr(start);  // without the XML prolog and DOCTYPE, to sit inline in HTML
  return drawing;
}

}  // namespace convopt::report

// The HTML report's page (html_report.h): style and script inline, @NAME@
// slots filled by renderHtmlReport. The script only reads what the page holds:
// node details (the JSON in #report-data) on click or hover, sorting of the
// conv table. It counts script errors into <body data-script-errors>, and sets
// data-ready once set up, for the browser test (tests/report/).
#pragma once
#include <string_view>

namespace convopt::report {

inline constexpr std::string_view kHtmlReportPage = R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>@TITLE@</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5em 2em; color: #1d2733; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; } h3 { font-size: 1em; margin: 0.3em 0; }
.graphs { display: flex; gap: 1em; }
.graph { flex: 1; min-width: 0; border: 1px solid #d5dde6; border-radius: 6px; padding: 0.4em; }
.canvas { max-height: 75vh; overflow: auto; }
.canvas svg { max-width: 100%; height: auto; }
g.node.op { cursor: pointer; }
g.node.changed path, g.node.changed polygon { fill: #ffe8a8; stroke: #c78a00; stroke-width: 2; }
g.node.added path, g.node.added polygon { fill: #c9f0cf; stroke: #1f8a3b; stroke-width: 2; }
g.node.removed path, g.node.removed polygon { fill: #ffd1cc; stroke: #c0392b; stroke-width: 2; }
g.node.selected path, g.node.selected polygon { stroke: #1d4ed8; stroke-width: 3; }
.legend span { display: inline-block; padding: 0 0.5em; margin-right: 0.5em; border-radius: 4px; }
.legend .changed { background: #ffe8a8; } .legend .added { background: #c9f0cf; } .legend .removed { background: #ffd1cc; }
#details { background: #f7f9fb; border: 1px solid #d5dde6; border-radius: 6px;
           padding: 0.5em 0.8em; margin: 0.8em 0; height: 9em; overflow: auto; white-space: pre-wrap;
           font-family: monospace; }  /* fixed height: showing a node must not move the graphs under the pointer */
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #e3e8ee; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { cursor: pointer; background: #eef2f7; user-select: none; }
th.sorted::after { content: " ▾"; } th.sorted.up::after { content: " ▴"; }
tr.rewritten td { background: #fff7de; }
.bars .bar { display: flex; align-items: center; gap: 0.6em; margin: 0.2em 0; }
.bars .label { width: 14em; } .bars .value { width: 12em; font-family: monospace; }
.bars .track { flex: 1; position: relative; height: 1.2em; }
.bars .before, .bars .after { position: absolute; left: 0; height: 0.55em; border-radius: 2px; }
.bars .before { top: 0; background: #9aa9bb; } .bars .after { top: 0.6em; background: #2f6fd6; }
.bars .total { font-weight: bold; }
.key { padding: 0 0.4em; border-radius: 3px; } .key.before { background: #9aa9bb; } .key.after { background: #2f6fd6; color: #fff; }
.unavailable { color: #a33; }
</style>
</head>
<body data-script-errors="0">
<h1>@TITLE@</h1>
@SUMMARY@
<h2>Graph</h2>
<p class="legend"><span class="changed">changed</span><span class="added">added</span><span class="removed">removed</span>
click or hover a node for its details</p>
<div id="details">(no node selected)</div>
<div class="graphs">
@GRAPHS@</div>
<h2>Convolutions</h2>
<table id="convs">
<thead><tr><th>node</th><th>scope</th><th>kind</th><th>params</th><th>MACs</th><th>predicted ms</th><th>rewrite</th></tr></thead>
<tbody>
@ROWS@</tbody>
</table>
<h2>Where the time goes</h2>
@BARS@
<script type="application/json" id="report-data">@DATA@</script>
<script>
"use strict";
window.addEventListener("error", () => {
  document.body.dataset.scriptErrors = String(Number(document.body.dataset.scriptErrors) + 1);
});
const report = JSON.parse(document.getElementById("report-data").textContent);

function describe(node) {
  const lines = [node.op + (node.name ? "  " + node.name : ""), node.line];
  for (const output of node.outputs) lines.push("→ " + output);
  if (node.mark) lines.push("", node.mark.toUpperCase());
  for (const change of node.changes || []) lines.push("  " + change);
  const r = node.rewrite;
  if (r) {
    lines.push("rewrite: " + r.pass + " — " + r.description,
      "params " + r.before.params + " → " + r.after.params + ", MACs " + r.before.macs + " → " + r.after.macs,
      "kind " + r.before.kind + " → " + r.after.kind + ", reconstruction error " + r.reconstruction_error);
  }
  return lines.join("\n");
}

let selected = null;
function show(group, keep) {
  const node = report.nodes[group.id];
  if (!node) return;
  if (keep) {
    if (selected) selected.classList.remove("selected");
    selected = group;
    group.classList.add("selected");
  }
  document.getElementById("details").textContent = describe(node);
}
for (const group of document.querySelectorAll("g.node.op")) {
  group.addEventListener("click", () => show(group, true));
  group.addEventListener("mouseenter", () => show(group, false));
  group.addEventListener("mouseleave", () => { if (selected) show(selected, false); });
}

function cellValue(row, column) {
  const cell = row.cells[column];
  const text = cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent;
  const number = parseFloat(text);
  return isNaN(number) ? text : number;
}
const table = document.getElementById("convs");
table.querySelectorAll("th").forEach((header, column) => {
  header.addEventListener("click", () => {
    const up = header.classList.contains("sorted") && !header.classList.contains("up");
    table.querySelectorAll("th").forEach(h => h.classList.remove("sorted", "up"));
    header.classList.add("sorted");
    if (up) header.classList.add("up");
    const rows = Array.from(table.tBodies[0].rows);
    rows.sort((a, b) => {
      const x = cellValue(a, column), y = cellValue(b, column);
      const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return up ? order : -order;
    });
    for (const row of rows) table.tBodies[0].appendChild(row);
  });
});
document.body.dataset.nodes = String(document.querySelectorAll("g.node.op").length);
document.body.dataset.highlighted = String(document.querySelectorAll("g.node.changed, g.node.added, g.node.removed").length);
document.body.dataset.ready = "1";
</script>
</body>
</html>
)PAGE";

}  // namespace convopt::report

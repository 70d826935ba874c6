// Times models in onnxruntime-node (graph optimization level 'all'):
//   node ort_bench.js THREADS RUNS kernel|nodes|model [--interleave] NAME=MODEL.onnx=1x3x224x224 ...
// kernel: per-run sum of the profiled node kernel times, excluding onnxruntime's
// own layout reorders (ReorderInput/ReorderOutput);
// nodes: the same sum with the reorders (all the work onnxruntime does, without
// node's own per-run costs: output tensors, promise wake-ups, garbage collection,
// which made single runs of a 0.5 ms model take up to 15 ms on a 2-vCPU host);
// model: median wall time of session.run. Prints {NAME: milliseconds} as JSON.
// The profiler truncates each duration to whole microseconds, so kernel and
// nodes add half a microsecond per node (the truncation's mean) and take the
// mean of the middle half of the runs, which resolves less than a microsecond
// where a median of integer sums could not (a 14x14 layer takes 2-5 us).
// --interleave: all sessions are created first and the runs go in rounds, one
// run of each model per round, so a drift of the machine's speed touches every
// model alike (the cost model's check times a region before and after a
// rewrite this way); without it each model's runs follow each other.
const ort = require('onnxruntime-node');
const fs = require('fs');
const os = require('os');

// Runs `session` on `feeds` for at least `ms` milliseconds, untimed.
async function runFor(session, feeds, ms) {
  for (const start = Date.now(); Date.now() - start < ms;) await session.run(feeds);
}

function profilePrefix(index) { return `convopt_ort_profile_${process.pid}_${index}_`; }

async function openModel(spec, index, threads, mode) {
  const [name, path, shape] = spec.split('=');
  const dims = shape.split('x').map(Number);
  const options = {graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
                   executionMode: 'sequential', enableProfiling: mode !== 'model',
                   profileFilePrefix: os.tmpdir() + '/' + profilePrefix(index)};
  const session = await ort.InferenceSession.create(path, options);
  const size = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({length: size}, (_, i) => Math.sin(i));
  return {name, index, session, feeds: {[session.inputNames[0]]: new ort.Tensor('float32', data, dims)}, times: []};
}

// Milliseconds of each of the last `runs` runs from the model's profile (which is removed).
function profiledRuns(model, runs, mode) {
  model.session.endProfiling();
  // The binding does not return the file name: it starts with the model's prefix.
  const dir = os.tmpdir();
  const file = dir + '/' + fs.readdirSync(dir).find(f => f.startsWith(profilePrefix(model.index)));
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  // Kernel events of each run, in order; a run starts at each model_run event.
  const perRun = [];
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') perRun.push(0);
    else if (e.cat === 'Node' && e.name.endsWith('_kernel_time') && perRun.length > 0 &&
             (mode === 'nodes' || !(e.args && String(e.args.op_name).startsWith('Reorder'))))
      perRun[perRun.length - 1] += (e.dur + 0.5) / 1000;
  }
  return perRun.slice(-runs);
}

// Times `specs` together: created, settled, then `runs` rounds of one run each.
async function timeGroup(specs, firstIndex, threads, runs, mode, settleMs) {
  const models = [];
  for (const spec of specs) models.push(await openModel(spec, firstIndex + models.length, threads, mode));
  await runFor(models[0].session, models[0].feeds, settleMs);
  for (const m of models) for (let i = 0; i < 3; ++i) await m.session.run(m.feeds);
  for (let round = 0; round < runs; ++round) {
    for (const m of models) {
      const start = process.hrtime.bigint();
      await m.session.run(m.feeds);
      m.times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const result = {};
  for (const m of models)
    result[m.name] = mode === 'model' ? median(m.times) : middleMean(profiledRuns(m, runs, mode));
  return result;
}

function sorted(values) { return [...values].sort((a, b) => a - b); }

function median(values) {
  const s = sorted(values);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// The mean of the middle half (the interquartile mean): as robust as a median
// to the slow runs, and not bound to the integer grid of the profiled sums.
function middleMean(values) {
  const s = sorted(values);
  const middle = s.slice(Math.floor(s.length / 4), s.length - Math.floor(s.length / 4));
  return middle.reduce((a, b) => a + b, 0) / middle.length;
}

(async () => {
  const [threads, runs, mode, ...rest] = process.argv.slice(2);
  const interleave = rest[0] === '--interleave';
  const specs = interleave ? rest.slice(1) : rest;
  const groups = interleave && specs.length ? [specs] : specs.map(spec => [spec]);
  const result = {};
  // The first model settles for 2 s: in a node process's first second or two,
  // models ran up to 9x slower on a 2-vCPU host (a 1x1 grouped conv: median
  // 8.6 ms, then 0.9 ms in the same process), which would flatter its peer.
  let settleMs = 2000, index = 0;
  for (const group of groups) {
    Object.assign(result, await timeGroup(group, index, Number(threads), Number(runs), mode, settleMs));
    index += group.length;
    settleMs = 0;
  }
  console.log(JSON.stringify(result));
})();

// Times models in onnxruntime-node (graph optimization level 'all'):
//   node ort_bench.js THREADS RUNS kernel|nodes|model NAME=MODEL.onnx=1x3x224x224 ...
// kernel: per-run sum of the profiled node kernel times, excluding onnxruntime's
// own layout reorders (ReorderInput/ReorderOutput), median over runs;
// nodes: the same sum with the reorders (all the work onnxruntime does, without
// node's own per-run costs: output tensors, promise wake-ups, garbage collection,
// which made single runs of a 0.5 ms model take up to 15 ms on a 2-vCPU host);
// model: median wall time of session.run. Prints {NAME: milliseconds} as JSON.
const ort = require('onnxruntime-node');
const fs = require('fs');

// Runs `session` on `feeds` for at least `ms` milliseconds, untimed.
async function runFor(session, feeds, ms) {
  for (const start = Date.now(); Date.now() - start < ms;) await session.run(feeds);
}

async function timeModel(path, dims, threads, runs, mode, settleMs) {
  const options = {graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
                   executionMode: 'sequential', enableProfiling: mode !== 'model',
                   profileFilePrefix: require('os').tmpdir() + '/convopt_ort_profile'};
  const session = await ort.InferenceSession.create(path, options);
  const size = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({length: size}, (_, i) => Math.sin(i));
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, dims)};
  await runFor(session, feeds, settleMs);
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (mode !== 'model') {
    session.endProfiling();
    // The binding does not return the file name: take the newest profile file.
    const dir = require('os').tmpdir();
    const file = fs.readdirSync(dir).filter(f => f.startsWith('convopt_ort_profile'))
                     .map(f => dir + '/' + f).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    const events = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.unlinkSync(file);
    // Kernel events of each run, in order; a run starts at each model_run event.
    const perRun = [];
    for (const e of events) {
      if (e.cat === 'Session' && e.name === 'model_run') perRun.push(0);
      else if (e.cat === 'Node' && e.name.endsWith('_kernel_time') && perRun.length > 0 &&
               (mode === 'nodes' || !(e.args && String(e.args.op_name).startsWith('Reorder'))))
        perRun[perRun.length - 1] += e.dur / 1000;
    }
    return median(perRun.slice(-runs));
  }
  return median(times);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

(async () => {
  const [threads, runs, mode, ...specs] = process.argv.slice(2);
  const result = {};
  // The first model settles for 2 s: in a node process's first second or two,
  // models ran up to 9x slower on a 2-vCPU host (a 1x1 grouped conv: median
  // 8.6 ms, then 0.9 ms in the same process), which would flatter its peer.
  let settleMs = 2000;
  for (const spec of specs) {
    const [name, path, shape] = spec.split('=');
    result[name] = await timeModel(path, shape.split('x').map(Number), Number(threads), Number(runs), mode, settleMs);
    settleMs = 0;
  }
  console.log(JSON.stringify(result));
})();

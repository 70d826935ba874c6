// Times models in onnxruntime-node (graph optimization level 'all'):
//   node ort_bench.js THREADS RUNS kernel|model NAME=MODEL.onnx=1x3x224x224 ...
// kernel: per-run sum of the profiled node kernel times, excluding onnxruntime's
// own layout reorders (ReorderInput/ReorderOutput), median over runs;
// model: median wall time of session.run. Prints {NAME: milliseconds} as JSON.
const ort = require('onnxruntime-node');
const fs = require('fs');

async function timeModel(path, dims, threads, runs, mode) {
  const options = {graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
                   executionMode: 'sequential', enableProfiling: mode === 'kernel',
                   profileFilePrefix: require('os').tmpdir() + '/convopt_ort_profile'};
  const session = await ort.InferenceSession.create(path, options);
  const size = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({length: size}, (_, i) => Math.sin(i));
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, dims)};
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (mode === 'kernel') {
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
               !(e.args && String(e.args.op_name).startsWith('Reorder')))
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
  for (const spec of specs) {
    const [name, path, shape] = spec.split('=');
    result[name] = await timeModel(path, shape.split('x').map(Number), Number(threads), Number(runs), mode);
  }
  console.log(JSON.stringify(result));
})();

// Latency after idle in onnxruntime-node (graph optimization level 'all'), the
// peer of `convopt bench --idle-ms`: runs back to back, then each after 2 ms
// and after 20 ms of sleep, as between a deployment's requests; prints the
// median wall time of session.run for each (onnxruntime's profiler would time
// its runs without node's overhead, but slows them more than that).
//   NODE_PATH=third_party_npm/node_modules node scripts/bench/ort_idle.js MODEL.onnx THREADS 1x3x224x224
const ort = require('onnxruntime-node');

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

(async () => {
  const [path, threads, shape] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
  const dims = shape.split('x').map(Number);
  const session = await ort.InferenceSession.create(path, {
    graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential'});
  const size = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({length: size}, (_, i) => Math.sin(i));
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, dims)};
  for (let i = 0; i < 30; ++i) await session.run(feeds);  // warm-up
  const result = {threads};
  for (const [idle, runs] of [[0, 100], [2, 100], [20, 50]]) {  // [idle ms, runs]
    const ms = [];
    for (let i = 0; i < runs; ++i) {
      if (idle) await sleep(idle);
      const start = process.hrtime.bigint();
      await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    result[`idle_${idle}_ms`] = median(ms);
  }
  console.log(JSON.stringify(result));
})();

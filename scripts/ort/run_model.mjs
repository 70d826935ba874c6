// Runs an ONNX model under onnxruntime-node (optimizations disabled, one
// thread: the settings the shared models' golden outputs were made with) on a
// backend-test data set and compares against its expected outputs.
//
//   node scripts/ort/run_model.mjs MODEL.onnx DATA_DIR [--atol A] [--rtol R]
//   node scripts/ort/run_model.mjs MODEL.onnx DATA_DIR --write-goldens
//
// DATA_DIR holds input_<i>.pb / output_<i>.pb (serialized TensorProto). Prints
// one JSON line {model, outputs: [{name, max_abs, max_rel}], ok}; exit 0 when
// every element satisfies |got - want| <= atol + rtol * |want|, 1 when not,
// 2 on bad arguments, 77 when onnxruntime-node is not installed (a skip).
// --write-goldens writes onnxruntime's outputs as DATA_DIR/output_<i>.pb instead
// (float outputs; how scripts/dev/make_test_models.sh makes golden data).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function loadOrt() {
  try {
    return createRequire(path.join(repoRoot, 'third_party_npm', 'package.json'))('onnxruntime-node');
  } catch (e) {
    console.error(`run_model: onnxruntime-node is not installed (run scripts/install-deps.sh): ${e.message}`);
    process.exit(77);
  }
}

// ---- minimal protobuf reader for onnx.TensorProto ----

function readVarint(buf, pos) {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[pos++];
    value |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [value, pos];
    shift += 7n;
  }
}

// Calls onField(fieldNumber, wireType, value, buf) for every field; value is a
// BigInt for varints and a Buffer slice for length-delimited/fixed fields.
function forEachField(buf, onField) {
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      onField(field, wire, v);
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      onField(field, wire, buf.subarray(pos, pos + Number(len)));
      pos += Number(len);
    } else if (wire === 5 || wire === 1) {
      const n = wire === 5 ? 4 : 8;
      onField(field, wire, buf.subarray(pos, pos + n));
      pos += n;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

function packedVarints(bytes) {
  const out = [];
  for (let pos = 0; pos < bytes.length;) {
    let v;
    [v, pos] = readVarint(bytes, pos);
    out.push(v);
  }
  return out;
}

const TYPES = {
  1: ['float32', Float32Array], 2: ['uint8', Uint8Array], 3: ['int8', Int8Array], 5: ['int16', Int16Array],
  6: ['int32', Int32Array], 7: ['int64', BigInt64Array], 9: ['bool', Uint8Array], 11: ['float64', Float64Array],
  4: ['uint16', Uint16Array], 12: ['uint32', Uint32Array], 13: ['uint64', BigUint64Array],
};

function parseTensorProto(buf) {
  const t = { dims: [], dataType: 0, name: '', raw: null, floats: [], int32s: [], int64s: [], doubles: [] };
  forEachField(buf, (field, wire, v) => {
    if (field === 1) t.dims.push(...(wire === 2 ? packedVarints(v) : [v]).map(Number));
    else if (field === 2) t.dataType = Number(v);
    else if (field === 8) t.name = v.toString('utf8');
    else if (field === 9) t.raw = Buffer.from(v);
    else if (field === 4) for (let i = 0; i < v.length; i += 4) t.floats.push(v.readFloatLE(i));
    else if (field === 10) for (let i = 0; i < v.length; i += 8) t.doubles.push(v.readDoubleLE(i));
    else if (field === 5) t.int32s.push(...(wire === 2 ? packedVarints(v) : [v]).map((x) => Number(BigInt.asIntN(32, x))));
    else if (field === 7) t.int64s.push(...(wire === 2 ? packedVarints(v) : [v]).map((x) => BigInt.asIntN(64, x)));
  });
  const type = TYPES[t.dataType];
  if (!type) throw new Error(`tensor '${t.name}': unsupported data type ${t.dataType}`);
  const [ortType, ArrayType] = type;
  let data;
  if (t.raw) {
    const aligned = new Uint8Array(t.raw).buffer;  // copy: raw bytes may be unaligned
    data = new ArrayType(aligned);
  } else {
    data = ArrayType.from(t.dataType === 1 ? t.floats : t.dataType === 11 ? t.doubles : t.dataType === 7 ? t.int64s : t.int32s);
  }
  return { name: t.name, ortType, dims: t.dims, data };
}

// ---- minimal protobuf writer for a float onnx.TensorProto ----

function varint(value) {
  const bytes = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    bytes.push(byte);
  } while (v);
  return Buffer.from(bytes);
}

function field(number, wire, payload) {
  const key = varint((number << 3) | wire);
  return wire === 2 ? Buffer.concat([key, varint(payload.length), payload]) : Buffer.concat([key, payload]);
}

function floatTensorProto(name, tensor) {
  if (tensor.type !== 'float32') throw new Error(`output '${name}' is ${tensor.type}; only float outputs are written`);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return Buffer.concat([
    ...tensor.dims.map((d) => field(1, 0, varint(d))),  // dims
    field(2, 0, varint(1)),                             // data_type FLOAT
    field(8, 2, Buffer.from(name, 'utf8')),             // name
    field(9, 2, data),                                  // raw_data (little-endian floats)
  ]);
}

// ---- run and compare ----

function dataFiles(dir, prefix) {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10))
    .map((f) => parseTensorProto(readFileSync(path.join(dir, f))));
}

function compare(got, want, atol, rtol) {
  let maxAbs = 0, maxRel = 0, ok = got.length === want.length;
  for (let i = 0; ok && i < want.length; ++i) {
    const g = Number(got[i]), w = Number(want[i]);
    const abs = Math.abs(g - w);
    if (!(abs <= atol + rtol * Math.abs(w))) ok = false;  // also catches NaN
    maxAbs = Math.max(maxAbs, abs);
    if (w !== 0) maxRel = Math.max(maxRel, abs / Math.abs(w));
  }
  return { max_abs: maxAbs, max_rel: maxRel, ok };
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const value = Number(args[i + 1]);
    args.splice(i, 2);
    return value;
  };
  const writeGoldens = args.includes('--write-goldens');
  if (writeGoldens) args.splice(args.indexOf('--write-goldens'), 1);
  const atol = option('--atol', 1e-5);
  const rtol = option('--rtol', 1e-4);
  if (args.length !== 2) {
    console.error('usage: node scripts/ort/run_model.mjs MODEL.onnx DATA_DIR [--atol A] [--rtol R] | --write-goldens');
    process.exit(2);
  }
  const [modelPath, dataDir] = args;
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
  });
  const inputs = dataFiles(dataDir, 'input_');
  const expected = dataFiles(dataDir, 'output_');
  const feeds = {};
  inputs.forEach((t, i) => {
    const name = session.inputNames.includes(t.name) ? t.name : session.inputNames[i];
    feeds[name] = new ort.Tensor(t.ortType, t.data, t.dims);
  });
  const results = await session.run(feeds);
  if (writeGoldens) {
    session.outputNames.forEach((name, i) =>
      writeFileSync(path.join(dataDir, `output_${i}.pb`), floatTensorProto(name, results[name])));
    console.log(JSON.stringify({ model: modelPath, wrote: session.outputNames }));
    return;
  }
  const outputs = expected.map((want, i) => {
    const name = session.outputNames.includes(want.name) ? want.name : session.outputNames[i];
    const got = results[name];
    const sameDims = got.dims.length === want.dims.length && got.dims.every((d, k) => d === want.dims[k]);
    const c = compare(got.data, want.data, atol, rtol);
    return { name, ...c, ok: c.ok && sameDims };
  });
  const ok = outputs.length > 0 && outputs.every((o) => o.ok);
  console.log(JSON.stringify({ model: modelPath, outputs, ok }));
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(`run_model: ${e.message}`);
  process.exit(1);
});

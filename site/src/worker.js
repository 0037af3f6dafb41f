// retar's Web Worker: runs the Go core (retar.wasm) off the page's thread.
// retar.js starts it and speaks this protocol:
//   worker → page  {type: 'ready', version, hasher, workers} | {type: 'failed', message}
//   page → worker  {id, op: 'open'|'inspect'|'check'|'convert'|'diff'|'digests'|'close'|'stats', input, opts}
//                  (diff's input is {a, b}, two inputs; digests' is {list},
//                  inputs; a convert's opts.bases are inputs a delta is filled in from,
//                  its opts.since what the far side has, for a delta)
//                  input: {file, name} or {files, name}, or {handle} from open;
//                  a convert's opts.saveTo (a FileSystemFileHandle) has the
//                  output written into that file as it is made
//   page → worker  {op: 'abort-output'}: before a cancel ends this Worker, the
//                  file being written is left as it was
//   worker → page  {type: 'output-aborted'}
//   worker → page  {id, type: 'progress', progress: {phase, bytes, totalBytes, blobs, totalBlobs}}
//                  {id, type: 'result', value} | {id, type: 'error', message, summary, kind, field}
// Files and Blobs cross postMessage by reference (structured clone of a Blob
// copies no bytes), and so does the Blob of parts a conversion returns.
//
// Hashing: a pool of Workers (hasher.js), one per core, hashes ranges of
// the dropped File where they lie; the Go core asks for them through
// retarSumRange and checks every sum. Without nested Workers, Go reads the
// bytes and hashes them with hash-wasm here.
'use strict';

const params = new URL(self.location.href).searchParams;
importScripts('wasm_exec.js');

// sha256 through hash-wasm (incremental, about 2.3x Go's own sha256 in wasm);
// ?hasher=go keeps Go's, for measuring the difference.
const goHasher = params.get('hasher') === 'go';
if (!goHasher) {
  importScripts('sha256.umd.min.js');
  self.retarCreateSHA256 = () => self.hashwasm.createSHA256();
}

// ---- the hashing pool ----
const stats = { hashedBytes: 0, sums: 0, stalls: 0, wholeSums: 0, wholeBytes: 0 };
// A hashing Worker whose File read delivers nothing for this long is taken
// for stalled (seen rarely, under heavy load, after many GB read): it is
// replaced and its range hashed again once, then the call fails.
const stallAfter = Number(params.get('stall-ms')) || 60_000;
// Ranges of at most wholeMax bytes are hashed whole by WebCrypto (see
// hasher.js), the others incrementally by hash-wasm. WebCrypto copies what
// it hashes into memory of its own first: Chromium serves a copy of up to
// 896 KiB from memory it keeps, and maps a larger one afresh, whose first
// touch costs more than hash-wasm's hashing on the machines measured (see
// README). ?whole-kib=N sets another limit (0: none; for measuring, and for
// machines where fresh memory is cheap); each hashing Worker keeps a buffer
// of that size.
const wholeMax = (params.has('whole-kib') ? Number(params.get('whole-kib')) : 896) * 1024;
function startPool(size) {
  const idle = [], queue = [], jobs = new Map();
  let nextJob = 1;
  function spawn() {
    const w = new Worker('hasher.js');
    w.onmessage = (ev) => {
      const m = ev.data, job = jobs.get(m.id);
      if (!job) return;
      job.seen = performance.now();
      if (m.type === 'progress') { stats.hashedBytes += m.bytes; job.reported += m.bytes; job.onBytes(m.bytes); return; }
      jobs.delete(m.id);
      idle.push(w);
      pump();
      if (m.type === 'done') job.resolve(m.hex); else job.reject(new Error(m.message));
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      for (const [id, job] of jobs) { if (job.worker === w) { jobs.delete(id); job.reject(new Error(`hashing Worker failed: ${ev.message}`)); } }
    };
    idle.push(w);
  }
  for (let i = 0; i < size; i++) spawn();
  function pump() {
    while (idle.length && queue.length) {
      const job = queue.shift(), w = idle.pop();
      job.worker = w;
      job.seen = performance.now();
      job.whole = job.length <= wholeMax;
      if (job.whole) { stats.wholeSums++; stats.wholeBytes += job.length; }
      jobs.set(job.id, job);
      w.postMessage({ id: job.id, blob: job.blob, offset: job.offset, length: job.length, whole: job.whole });
    }
  }
  setInterval(() => {
    const now = performance.now();
    for (const [id, job] of jobs) {
      if (now - job.seen < stallAfter) continue;
      jobs.delete(id);
      job.worker.terminate();
      spawn();
      stats.stalls++;
      // the retry reports the range from its start; the core counts no byte twice
      stats.hashedBytes -= job.reported;
      if (job.retried) {
        job.reject(new Error(`NotReadableError: reading bytes ${job.offset}-${job.offset + job.length} stopped: no data for ${Math.round(stallAfter / 1000)} s`));
      } else {
        console.warn(`retar: reading bytes ${job.offset}-${job.offset + job.length} stalled; reading them again`);
        queue.unshift({ ...job, id: nextJob++, retried: true, reported: 0 });
      }
    }
    pump();
  }, Math.min(5000, stallAfter / 4));
  // retarSumRange(blob, offset, length, alg, onBytes) → Promise<hex sha256>
  self.retarSumRange = (blob, offset, length, alg, onBytes) => new Promise((resolve, reject) => {
    if (alg !== 'sha256') { reject(new Error(`no ${alg} hasher`)); return; }
    stats.sums++;
    queue.push({
      id: nextJob++, blob, offset, length, reported: 0, resolve, reject,
      onBytes: (n) => { try { onBytes(n); } catch (e) { console.error(e); } },
    });
    pump();
  });
  self.retarSumWorkers = size;
}
const poolSize = Math.max(2, Math.min(8, (self.navigator && navigator.hardwareConcurrency) || 2));
if (!goHasher && typeof Worker === 'function' && params.get('workers') !== '0') startPool(poolSize);

// ---- loading retar.wasm ----
// retar.wasm.gz beside retar.wasm is a quarter of its size: fetched and
// decompressed here (DecompressionStream) on any static host. A host that
// decodes .gz itself (Content-Encoding) is seen by the wasm magic number;
// without either, retar.wasm is fetched as it is.
async function fetchWasm() {
  if (typeof DecompressionStream === 'function') {
    try {
      const resp = await fetch('retar.wasm.gz');
      if (resp.ok && resp.body) {
        const reader = resp.body.getReader();
        let first = await reader.read();
        while (!first.done && first.value.byteLength < 2) { // the magic is in the first two bytes
          const more = await reader.read();
          if (more.done) break;
          const joined = new Uint8Array(first.value.byteLength + more.value.byteLength);
          joined.set(first.value); joined.set(more.value, first.value.byteLength);
          first = { done: false, value: joined };
        }
        const head = first.done ? new Uint8Array(0) : first.value;
        let body = new ReadableStream({
          start(c) { if (head.byteLength) c.enqueue(head); },
          async pull(c) { const { done, value } = await reader.read(); if (done) c.close(); else c.enqueue(value); },
          cancel(r) { return reader.cancel(r); },
        });
        if (head[0] === 0x1f && head[1] === 0x8b) body = body.pipeThrough(new DecompressionStream('gzip'));
        return { resp: new Response(body, { headers: { 'Content-Type': 'application/wasm' } }), from: 'retar.wasm.gz' };
      }
    } catch (err) {
      console.warn('retar.wasm.gz:', err);
    }
  }
  const resp = await fetch('retar.wasm');
  if (!resp.ok) throw new Error(`loading retar.wasm: HTTP ${resp.status}`);
  return { resp, from: 'retar.wasm' };
}

let instance, wasmFrom;

async function load() {
  const go = new Go();
  const { resp, from } = await fetchWasm();
  wasmFrom = from;
  let result;
  if ((resp.headers.get('Content-Type') || '').startsWith('application/wasm')) {
    result = await WebAssembly.instantiateStreaming(resp, go.importObject);
  } else {
    // A host that serves .wasm as another type: compile from bytes.
    result = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  }
  instance = result.instance;
  go.run(instance); // main sets globalThis.retarGo, then blocks forever
  if (!self.retarGo) throw new Error('retar.wasm started but did not set retarGo');
  return self.retarGo;
}

const loaded = load();
loaded.then(
  (g) => self.postMessage({
    type: 'ready', version: g.version, hasher: self.retarCreateSHA256 ? 'hash-wasm' : 'go',
    workers: self.retarSumRange ? poolSize : 0, wasm: wasmFrom,
  }),
  (err) => self.postMessage({ type: 'failed', message: String(err && err.message || err) }),
);

// ---- writing an output into a file ----
// A conversion given saveTo (a FileSystemFileHandle: one the user picked
// with showSaveFilePicker, or of the origin-private file system) writes its
// output there as it is made, through the handle's writable stream, which
// writes into a swap file and puts it in place of the file only on close():
// a conversion that fails aborts it, and the file is left as it was; so
// does a cancel, before it ends this Worker ('abort-output'). The stream is
// opened at the first byte, so a conversion refused before writing never
// touches the file.
let saving = null; // the running conversion's file output
function fileOutput(handle) {
  let opened = null, state = 'writing';
  const open = () => (opened ||= handle.createWritable());
  return {
    async write(part) { // the Go core awaits each write before the next
      if (state !== 'writing') throw new Error(`the output is ${state}`);
      await (await open()).write(part);
    },
    async close() {
      state = 'closed';
      await (await open()).close();
    },
    async abort() {
      if (state !== 'writing') return;
      state = 'aborted';
      try { if (opened) await (await opened).abort(); } catch { /* never opened, or errored already: nothing was put in place */ }
    },
  };
}

async function convertInto(g, ref, o, handle) {
  const out = saving = fileOutput(handle);
  let value;
  try {
    value = await g.convert(ref, { ...o, output: out });
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  } finally {
    saving = null;
  }
  value.blob = await handle.getFile(); // what was written, as a File
  value.saved = true;
  return value;
}

// One call at a time: the Go core waits for the hashing Workers and the
// File, and queuing keeps two conversions from competing for memory.
let queue = Promise.resolve();

self.onmessage = (ev) => {
  const { id, op, input, opts } = ev.data || {};
  if (op === 'abort-output') { // now, not after the running call
    (saving ? saving.abort() : Promise.resolve()).finally(() => self.postMessage({ type: 'output-aborted' }));
    return;
  }
  queue = queue.then(() => run(id, op, input, opts || {}));
};

async function run(id, op, input, opts) {
  try {
    const g = await loaded;
    if (op === 'stats') {
      // for measurements: the Go heap lives in wasm linear memory, which only grows
      self.postMessage({ id, type: 'result', value: { wasmMemory: instance.exports.mem.buffer.byteLength, ...stats, wasm: wasmFrom } });
      return;
    }
    if (op === 'close') {
      g.close(input.handle);
      self.postMessage({ id, type: 'result', value: null });
      return;
    }
    if (!['open', 'inspect', 'convert', 'check', 'diff', 'digests'].includes(op)) throw new Error(`unknown operation ${op}`);
    if (typeof g[op] !== 'function') throw new Error(`this retar.wasm has no ${op}`);
    const o = { ...opts };
    if (opts.progress) {
      o.onProgress = (p) => self.postMessage({ id, type: 'progress', progress: p });
    }
    delete o.progress;
    const ref = input && typeof input.handle === 'number' ? input.handle : input;
    delete o.saveTo;
    let value;
    if (op === 'diff') value = await g.diff(input.a, input.b, o); // two inputs, opened for this call
    else if (op === 'digests') value = await g.digests(input.list, o);
    else if (op === 'convert' && opts.saveTo) value = await convertInto(g, ref, o, opts.saveTo);
    else value = await g[op](ref, o);
    self.postMessage({ id, type: 'result', value });
  } catch (err) {
    self.postMessage({ id, type: 'error', message: String(err && err.message || err), summary: err && err.summary, kind: err && err.kind, field: err && err.field });
  }
}

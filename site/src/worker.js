// retar's Web Worker: runs the Go core (retar.wasm) off the page's thread.
// retar.js starts it and speaks this protocol:
//   worker → page  {type: 'ready', version} | {type: 'failed', message}
//   page → worker  {id, op: 'inspect'|'convert'|'check'|'stats', input, opts}
//   worker → page  {id, type: 'progress', done, total, phase}
//                  {id, type: 'result', value} | {id, type: 'error', message}
// Files and Blobs cross postMessage by reference (structured clone of a Blob
// copies no bytes), and so does the Blob of parts a conversion returns.
'use strict';

const params = new URL(self.location.href).searchParams;
importScripts('wasm_exec.js');

// sha256 through hash-wasm (incremental, about 2.3x Go's own sha256 in wasm);
// ?hasher=go keeps Go's, for measuring the difference.
if (params.get('hasher') !== 'go') {
  importScripts('sha256.umd.min.js');
  self.retarCreateSHA256 = () => self.hashwasm.createSHA256();
}

let instance;

async function load() {
  const go = new Go();
  const url = 'retar.wasm';
  let result;
  try {
    result = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
  } catch (err) {
    // A host that serves .wasm without application/wasm: compile from bytes.
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`loading ${url}: HTTP ${resp.status}`);
    result = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  }
  instance = result.instance;
  go.run(instance); // main sets globalThis.retarGo, then blocks forever
  if (!self.retarGo) throw new Error('retar.wasm started but did not set retarGo');
  return self.retarGo;
}

const loaded = load();
loaded.then(
  (g) => self.postMessage({ type: 'ready', version: g.version, hasher: self.retarCreateSHA256 ? 'hash-wasm' : 'go' }),
  (err) => self.postMessage({ type: 'failed', message: String(err && err.message || err) }),
);

// One call at a time: the Go core runs on one thread anyway, and queuing
// keeps two conversions from competing for memory.
let queue = Promise.resolve();

self.onmessage = (ev) => {
  const { id, op, input, opts } = ev.data || {};
  queue = queue.then(() => run(id, op, input, opts || {}));
};

async function run(id, op, input, opts) {
  try {
    const g = await loaded;
    if (op === 'stats') {
      // for measurements: the Go heap lives in wasm linear memory, which only grows
      self.postMessage({ id, type: 'result', value: { wasmMemory: instance.exports.mem.buffer.byteLength } });
      return;
    }
    if (!['inspect', 'convert', 'check'].includes(op)) throw new Error(`unknown operation ${op}`);
    if (typeof g[op] !== 'function') throw new Error(`this retar.wasm has no ${op}`);
    const o = { ...opts };
    if (opts.progress) {
      o.onProgress = (done, total, phase) => self.postMessage({ id, type: 'progress', done, total, phase });
    }
    delete o.progress;
    const value = await g[op](input, o);
    self.postMessage({ id, type: 'result', value });
  } catch (err) {
    self.postMessage({ id, type: 'error', message: String(err && err.message || err) });
  }
}

// A hashing Worker: worker.js keeps a pool of these, one per core, and the
// Go core asks them (through Hashing.Sum) to hash ranges of the dropped File
// where they lie, several at once.
//   pool → hasher  {id, blob, offset, length}
//   hasher → pool  {id, type: 'progress', bytes}   (bytes hashed since the last report)
//                  {id, type: 'done', hex} | {id, type: 'error', message}
// The range is read through the File's stream into one reused buffer (a
// BYOB reader), so reading allocates nothing however large the File: the
// renderer's memory stays flat, and it is also the fastest way to read a
// File in Chromium.
'use strict';
importScripts('sha256.umd.min.js');

const hasher = self.hashwasm.createSHA256();
const reportEvery = 8 << 20;

self.onmessage = async (ev) => {
  const { id, blob, offset, length } = ev.data;
  try {
    const h = await hasher;
    h.init();
    const part = blob.slice(offset, offset + length);
    let done = 0, unreported = 0, reported = performance.now();
    const step = (chunk) => {
      h.update(chunk);
      done += chunk.byteLength;
      unreported += chunk.byteLength;
      // every 8 MiB, or every second on a slow disk (the pool takes silence for a stall)
      if (unreported >= reportEvery || performance.now() - reported > 1000) {
        self.postMessage({ id, type: 'progress', bytes: unreported });
        unreported = 0;
        reported = performance.now();
      }
    };
    let reader;
    try { reader = part.stream().getReader({ mode: 'byob' }); } catch { reader = null; }
    if (reader) {
      let buf = new ArrayBuffer(1 << 20);
      for (;;) {
        const { done: end, value } = await reader.read(new Uint8Array(buf));
        if (end) break;
        step(value);
        buf = value.buffer;
      }
    } else { // a browser without byte streams for Blobs
      const r = part.stream().getReader();
      for (;;) {
        const { done: end, value } = await r.read();
        if (end) break;
        step(value);
      }
    }
    if (done !== length) throw new Error(`read ${done} of ${length} bytes: the file changed or is gone`);
    if (unreported) self.postMessage({ id, type: 'progress', bytes: unreported });
    self.postMessage({ id, type: 'done', hex: h.digest('hex') });
  } catch (err) {
    self.postMessage({ id, type: 'error', message: `${err && err.name || 'Error'}: ${err && err.message || err}` });
  }
};

// A hashing Worker: worker.js keeps a pool of these, one per core, and the
// Go core asks them (through Hashing.Sum) to hash ranges of the dropped File
// where they lie, several at once.
//   pool → hasher  {id, blob, offset, length, whole}
//   hasher → pool  {id, type: 'progress', bytes}   (bytes read since the last report)
//                  {id, type: 'done', hex} | {id, type: 'error', message}
// A range is read through the File's stream (a BYOB reader: the fastest way
// to read a File in Chromium) into one buffer this Worker keeps, so reading
// allocates nothing however large the File, and the renderer's memory stays
// flat. Most ranges are hashed as they are read, by hash-wasm. A range the
// pool marks whole (a small one: see wholeMax in worker.js) is read into the
// buffer entire and hashed at once by WebCrypto (crypto.subtle.digest): the
// browser's native sha256, about four times cheaper than hash-wasm for such
// a range; digest takes its own copy at once, so the buffer is free again.
'use strict';
importScripts('sha256.umd.min.js');

const hasher = self.hashwasm.createSHA256();
const subtle = self.crypto && self.crypto.subtle;
const reportEvery = 8 << 20;
const chunk = 1 << 20; // what an incremental read asks for at a time

// spare is the buffer reads go into: a BYOB read hands it to the stream and
// gives it back (as a new ArrayBuffer) with the bytes; lost if a read fails.
let spare = new ArrayBuffer(chunk);
function bufferOf(n) {
  if (spare.byteLength < n) spare = new ArrayBuffer(Math.max(n, chunk)); // also when lost (detached: 0)
  const b = spare;
  spare = new ArrayBuffer(0); // taken: a read that fails keeps it
  return b;
}

// read calls step(view) for the bytes of part as they come: into the kept
// buffer at offset `at` (views of at most `size` bytes) and on, when whole,
// so that the buffer ends holding the range entire. It returns the buffer.
async function read(part, whole, step) {
  let buf = bufferOf(whole ? part.size : chunk), at = 0;
  let reader;
  try { reader = part.stream().getReader({ mode: 'byob' }); } catch { reader = null; }
  if (!reader) { // a browser without byte streams for Blobs: its chunks, copied in when whole
    const r = part.stream().getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      if (whole) new Uint8Array(buf, at, value.byteLength).set(value);
      at += value.byteLength;
      step(value);
    }
    spare = buf;
    return { buf, read: at };
  }
  for (;;) {
    const room = whole ? buf.byteLength - at : buf.byteLength;
    if (room === 0) { // whole, and the buffer is full: the range is in
      reader.cancel().catch(() => {}); // its end is not waited for
      break;
    }
    const { done, value } = await reader.read(new Uint8Array(buf, whole ? at : 0, room));
    if (value) buf = value.buffer;
    if (done) break;
    at += value.byteLength;
    step(value);
  }
  spare = buf;
  return { buf, read: at };
}

const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

self.onmessage = async (ev) => {
  const { id, blob, offset, length, whole } = ev.data;
  try {
    const part = blob.slice(offset, offset + length);
    let done = 0, unreported = 0, reported = performance.now();
    const report = (n) => {
      done += n;
      unreported += n;
      // every 8 MiB, or every second on a slow disk (the pool takes silence for a stall)
      if (unreported >= reportEvery || performance.now() - reported > 1000) {
        self.postMessage({ id, type: 'progress', bytes: unreported });
        unreported = 0;
        reported = performance.now();
      }
    };
    let sum;
    if (whole && subtle) {
      const { buf, read: n } = await read(part, true, (v) => report(v.byteLength));
      if (n === length) sum = hex(new Uint8Array(await subtle.digest('SHA-256', new Uint8Array(buf, 0, n))));
    } else {
      const h = await hasher;
      h.init();
      await read(part, false, (v) => { h.update(v); report(v.byteLength); });
      sum = h.digest('hex');
    }
    if (done !== length) throw new Error(`read ${done} of ${length} bytes: the file changed or is gone`);
    if (unreported) self.postMessage({ id, type: 'progress', bytes: unreported });
    self.postMessage({ id, type: 'done', hex: sum });
  } catch (err) {
    self.postMessage({ id, type: 'error', message: `${err && err.name || 'Error'}: ${err && err.message || err}` });
  }
};

// retar in the browser: the JavaScript API.
//
//   <script src="retar.js"></script>
//   await retar.ready;
//   const h = retar.open(input);               // keep it while the page shows this input
//   const info = await h.inspect();            // the JSON of `retar inspect`
//   const verdicts = await h.check();          // the JSON of `retar check --json`
//   const { blob, name, report } = await h.convert({
//     to: 'docker-archive' | 'oci-archive' | 'oci' | 'dir',
//     name, tags: [], format: 'oci' | 'v2s2', compress: 'keep' | 'gzip' | 'zstd' | 'none',
//     platforms: [], allPlatforms,
//     onProgress: ({ phase, bytes, totalBytes, blobs, totalBlobs }) => {}, signal,
//     saveTo,    // a FileSystemFileHandle: the output is written into it as it is made
//   });
//   h.close();
//
// A handle keeps the archive open in the Worker, so each blob is hashed
// once across its calls (retar.inspect(input), retar.check(input) and
// retar.convert(input, opts) open and close one for a single call).
// input is a File or Blob (an archive, compressed or not), or a dropped
// folder: an array or FileList of Files (from <input webkitdirectory>, with
// webkitRelativePath), or {files: [{path, file}], name}. The Go core runs in a
// Web Worker (worker.js beside this file), so the page never freezes, and
// Workers beside it (hasher.js) hash the File's ranges in parallel.
// `blob` is a tar: the archive itself, or for oci and dir a tar of the
// layout; retar.saveToDirectory(blob, dirHandle) writes such a tar's files
// into a folder (showDirectoryPicker, or the origin-private file system).
// With saveTo (showSaveFilePicker's handle, suggestedName from
// retar.outputName(input, to)) nothing is assembled in memory: the file is
// written as the output is made, `blob` is then that file, and `saved` is
// true. A conversion that fails or is cancelled leaves the file as it was
// (the browser writes a swap file, put in place only when all is written);
// an empty file (as the picker leaves a new one) is removed where the
// browser can. The error's `output` says which: {name, left: 'removed' |
// 'empty' | 'unchanged'}.
(function (global) {
  'use strict';

  const here = (typeof document !== 'undefined' && document.currentScript && document.currentScript.src) ||
    (global.location && global.location.href) || '';

  class AbortError extends Error {
    constructor(message) { super(message || 'cancelled'); this.name = 'AbortError'; }
  }

  // normalizeInput turns what a page has into what the Go core reads:
  // {file, name} or {files: [{path, file}], name}.
  function normalizeInput(input) {
    if (!input) throw new TypeError('retar: no input: pass a File, a Blob or the Files of a folder');
    if (typeof Blob !== 'undefined' && input instanceof Blob) {
      return { file: input, name: input.name || 'image.tar' };
    }
    if (input.file instanceof Blob) return { file: input.file, name: input.name || input.file.name || 'image.tar' };
    let list = input.files && !(input.files instanceof Blob) ? input.files : input;
    if (typeof list.length === 'number' && !Array.isArray(list)) list = Array.from(list);
    if (!Array.isArray(list)) throw new TypeError('retar: input is neither a File/Blob nor a list of Files');
    if (list.length === 0) throw new TypeError('retar: the folder is empty');
    let files = list.map((e) => {
      if (e instanceof Blob) return { path: e.webkitRelativePath || e.name, file: e };
      if (e && e.file instanceof Blob) return { path: e.path || e.file.webkitRelativePath || e.file.name, file: e.file };
      throw new TypeError('retar: a folder entry is not a File');
    });
    let name = input.name;
    // Paths from <input webkitdirectory> start with the folder's own name:
    // the layout's root is inside it.
    const first = (p) => p.replace(/^\/+/, '').split('/')[0];
    const top = first(files[0].path);
    if (files.every((f) => f.path.replace(/^\/+/, '').includes('/') && first(f.path) === top)) {
      files = files.map((f) => ({ path: f.path.replace(/^\/+/, '').slice(top.length + 1), file: f.file }));
      name = name || top;
    }
    return { files, name: name || 'layout' };
  }

  // outputName is the name retar.convert gives its output for input and
  // layout to (the input's name, with the layout): a save dialog's
  // suggestedName before converting.
  function outputName(input, to) {
    const name = normalizeInput(input).name || '';
    let base = name.replace(/\\/g, '/').replace(/(.)\/+$/, '$1').split('/').pop() || 'image';
    for (const ext of ['.gz', '.zst', '.bz2', '.xz', '.tgz', '.tar']) if (base.endsWith(ext)) base = base.slice(0, -ext.length);
    return `${base || 'image'}.${to}.tar`;
  }

  // leftBehind says what became of the file a conversion that failed was
  // writing into (see saveTo above), and removes it if it is empty. After a
  // cancel the browser may hold the file for the stream of the Worker it
  // ended for a moment (NoModificationAllowedError): removing is retried.
  async function leftBehind(handle) {
    let size;
    try { size = (await handle.getFile()).size; } catch { return { name: handle.name, left: 'unchanged' }; }
    if (size > 0) return { name: handle.name, left: 'unchanged' };
    if (typeof handle.remove !== 'function') return { name: handle.name, left: 'empty' };
    for (let wait = 50; ; wait *= 2) {
      try {
        await handle.remove();
        return { name: handle.name, left: 'removed' };
      } catch (err) {
        if (err.name !== 'NoModificationAllowedError' || wait > 3200) return { name: handle.name, left: 'empty' };
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  function create(options = {}) {
    const workerURL = new URL(options.workerURL || 'worker.js', options.base || here);
    if (options.hasher) workerURL.searchParams.set('hasher', options.hasher);
    if (options.workers === 0) workerURL.searchParams.set('workers', '0');
    if (options.wholeKiB !== undefined) workerURL.searchParams.set('whole-kib', String(options.wholeKiB));
    let worker, ready, nextId = 1;
    let generation = 0; // a new Worker (after a cancel) holds no handles
    const pending = new Map(); // id → {resolve, reject, onProgress}

    function start() {
      generation++;
      worker = new Worker(workerURL);
      ready = new Promise((resolve, reject) => {
        worker.onmessage = (ev) => {
          const m = ev.data;
          if (m.type === 'ready') {
            api.version = m.version; api.hasher = m.hasher; api.workers = m.workers; api.wasm = m.wasm;
            resolve(m);
            return;
          }
          if (m.type === 'failed') { reject(new Error(`retar did not start: ${m.message}`)); return; }
          const p = pending.get(m.id);
          if (!p) return;
          if (m.type === 'progress') {
            if (p.onProgress) { try { p.onProgress(m.progress); } catch (e) { console.error(e); } }
          } else {
            pending.delete(m.id);
            if (m.type === 'result') p.resolve(m.value);
            else {
              const err = new Error(m.message);
              if (m.summary) err.summary = m.summary;
              if (m.kind) err.kind = m.kind;
              if (m.field) err.field = m.field;
              p.reject(err);
            }
          }
        };
        worker.onerror = (ev) => {
          ev.preventDefault();
          const err = new Error(`retar's worker failed: ${ev.message || 'could not load worker.js'}`);
          reject(err);
          for (const [id, p] of pending) { pending.delete(id); p.reject(err); }
        };
      });
      ready.catch(() => {}); // reported to whoever awaits it
      api.ready = ready;
    }

    // restart ends the running call (Go in wasm cannot be interrupted from
    // outside) and starts a fresh worker. A conversion writing into a file
    // has it aborted first (the file is left as it was), then ends.
    function restart(reason) {
      const old = worker, calls = [...pending.values()];
      pending.clear();
      start();
      let stopped = Promise.resolve();
      if (calls.some((p) => p.saving)) {
        stopped = new Promise((resolve) => {
          const timer = setTimeout(resolve, 3000);
          old.onmessage = (ev) => { if (ev.data && ev.data.type === 'output-aborted') { clearTimeout(timer); resolve(); } };
          old.postMessage({ op: 'abort-output' });
        });
      }
      stopped.then(() => {
        old.terminate();
        for (const p of calls) p.reject(reason);
      });
    }

    // send posts one operation; msgInput is what the Worker reads
    // ({file, name}, {files, name} or {handle}).
    function send(op, msgInput, opts = {}) {
      const { onProgress, signal, ...rest } = opts;
      if (signal && signal.aborted) return Promise.reject(new AbortError());
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, onProgress, saving: !!rest.saveTo });
        if (signal) {
          signal.addEventListener('abort', () => { if (pending.has(id)) restart(new AbortError()); }, { once: true });
        }
        worker.postMessage({ id, op, input: msgInput, opts: { ...rest, progress: typeof onProgress === 'function' } });
      });
    }

    function call(op, input, opts) {
      let msgInput;
      try { msgInput = normalizeInput(input); } catch (err) { return Promise.reject(err); }
      return send(op, msgInput, opts);
    }

    // withBases normalizes opts.bases, the archives a delta is filled in
    // from, and opts.since, what the far side has (lists of digests or
    // archives); a bad one is refused when the call runs.
    function withBases(opts) {
      if (!opts || !(opts.bases || opts.since)) return opts;
      try {
        const o = { ...opts };
        if (opts.bases) o.bases = Array.from(opts.bases, normalizeInput);
        if (opts.since) o.since = Array.from(opts.since, normalizeInput);
        return o;
      } catch (err) { return { ...opts, bases: [], since: [], badBases: err }; }
    }

    // converting runs a conversion; one that was to be written into a file
    // and failed says what it left there (err.output).
    async function converting(run, opts) {
      if (opts && opts.badBases) throw opts.badBases;
      if (!opts || !opts.to) throw new TypeError("retar.convert: opts.to is required: 'docker-archive', 'oci-archive', 'oci' or 'dir'");
      if (!opts.saveTo) return run();
      if (typeof opts.saveTo.createWritable !== 'function') throw new TypeError('retar.convert: saveTo is not a FileSystemFileHandle');
      try {
        return await run();
      } catch (err) {
        err.output = await leftBehind(opts.saveTo);
        throw err;
      }
    }

    // open returns a handle on input: its archive is opened (on the first
    // call) and kept open in the Worker, so blobs one call verified are not
    // hashed again by the next. After a cancel restarted the Worker, the
    // next call opens it again.
    function open(input) {
      const msgInput = normalizeInput(input);
      let id = null, idGen = 0, opening = null, closed = false;
      async function handle(opts) {
        if (closed) throw new Error('retar: this handle is closed');
        if (id !== null && idGen === generation) return { handle: id };
        if (!opening || opening.gen !== generation) {
          const gen = generation;
          const { onProgress, signal } = opts || {};
          const p = send('open', msgInput, { onProgress, signal }).then((got) => {
            if (gen === generation) { id = got; idGen = gen; }
            return { handle: got };
          });
          opening = { gen, p };
          p.catch(() => { if (opening && opening.p === p) opening = null; });
        }
        return opening.p;
      }
      const run = async (op, opts) => send(op, await handle(opts), opts);
      return {
        input: msgInput,
        inspect: (opts) => run('inspect', opts),
        check: (opts) => run('check', opts),
        convert: (opts) => converting(() => run('convert', withBases(opts)), withBases(opts)),
        close: () => {
          if (!closed && id !== null && idGen === generation) send('close', { handle: id }).catch(() => {});
          closed = true;
        },
      };
    }

    const api = {
      ready: null,
      version: undefined,
      hasher: undefined,
      workers: undefined, // hashing Workers beside the core (0: none)
      wasm: undefined,    // which file retar.wasm came from (retar.wasm.gz where it can)
      open,
      inspect: (input, opts) => call('inspect', input, opts),
      // check: retar check's report, what each loader (docker, ctr, podman,
      // skopeo, k3s) makes of the input: {source, layout, images, consumers:
      // [{consumer, title, loads, names, command, problems}]}.
      check: (input, opts) => call('check', input, opts),
      // convert: opts.bases (Files, Blobs or folders) are the archives a
      // delta (an update that leaves out the layers they hold) is filled
      // in from, as retar convert --base does: the whole archive comes out.
      // opts.since (lists of digests, as retar digests or ctr content ls -q
      // print them, or archives: what the far side has) makes such an update,
      // as retar convert --since does; .delta says what it left out
      // ({absent: [{digest, size, mediaType, diffID}], absentBytes}).
      convert: (input, opts) => converting(() => call('convert', input, withBases(opts)), withBases(opts)),
      // digests: what the inputs hold, as retar digests prints it (.text),
      // with the fields of its --json (schemaVersion, blobs, diffIDs).
      digests: (inputs, opts) => {
        let msgInput;
        try { msgInput = { list: Array.from(inputs || [], normalizeInput) }; } catch (err) { return Promise.reject(err); }
        return send('digests', msgInput, opts);
      },
      // diff: retar diff's report on two inputs, as --json gives it, with
      // its text beside it (.text); opts: {files, pickA, pickB}.
      diff: (a, b, opts) => {
        let msgInput;
        try { msgInput = { a: normalizeInput(a), b: normalizeInput(b) }; } catch (err) { return Promise.reject(err); }
        return send('diff', msgInput, opts);
      },
      // stats: {wasmMemory, hashedBytes, sums, wholeSums, wholeBytes} — the
      // bytes of the Worker's wasm memory (it never shrinks), and what the
      // hashing Workers hashed (whole…: of it, with WebCrypto).
      stats: () => send('stats', null),
      cancel: () => restart(new AbortError()),
      terminate: () => { worker.terminate(); for (const [id, p] of pending) { pending.delete(id); p.reject(new AbortError('terminated')); } },
      create,
      saveToDirectory,
      outputName,
      readTar,
      normalizeInput,
      AbortError,
    };
    start();
    return api;
  }

  // readTar lists a tar Blob's entries without reading their contents:
  // [{path, type: 'file'|'dir'|'link', offset, size, linkname}]. It reads the
  // 512-byte headers through Blob.slice and knows ustar prefixes, GNU long
  // names and PAX path/size records.
  async function readTar(blob) {
    const out = [];
    const dec = new TextDecoder();
    const field = (b, off, len) => { let s = dec.decode(b.subarray(off, off + len)); const z = s.indexOf('\0'); return z < 0 ? s : s.slice(0, z); };
    const octal = (b, off, len) => {
      if (b[off] & 0x80) { let n = 0; for (let i = off + 1; i < off + len; i++) n = n * 256 + b[i]; return n; }
      const s = field(b, off, len).trim(); return s ? parseInt(s, 8) : 0;
    };
    let pos = 0, longName = null, pax = {};
    while (pos + 512 <= blob.size) {
      const h = new Uint8Array(await blob.slice(pos, pos + 512).arrayBuffer());
      if (h.every((x) => x === 0)) break;
      let sum = 0; for (let i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? 32 : h[i];
      if (sum !== octal(h, 148, 8)) throw new Error(`not a tar: bad header checksum at byte ${pos}`);
      const type = String.fromCharCode(h[156] || 48);
      let size = octal(h, 124, 12);
      const data = pos + 512;
      const next = data + Math.ceil(size / 512) * 512;
      if (type === 'L') {
        longName = field(new Uint8Array(await blob.slice(data, data + size).arrayBuffer()), 0, size);
      } else if (type === 'x') {
        const text = dec.decode(await blob.slice(data, data + size).arrayBuffer());
        for (let i = 0; i < text.length;) {
          const sp = text.indexOf(' ', i); const len = parseInt(text.slice(i, sp), 10);
          if (!(len > 0)) break;
          const rec = text.slice(sp + 1, i + len - 1); const eq = rec.indexOf('=');
          pax[rec.slice(0, eq)] = rec.slice(eq + 1); i += len;
        }
      } else if (type !== 'g') {
        let path = longName || pax.path;
        if (!path) { const prefix = field(h, 345, 155); path = (prefix ? prefix + '/' : '') + field(h, 0, 100); }
        if (pax.size) size = parseInt(pax.size, 10);
        const end = data + Math.ceil(size / 512) * 512;
        path = path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
        if (path.split('/').some((s) => s === '..' || s === '')) throw new Error(`refusing tar entry ${JSON.stringify(path)}`);
        if (type === '0' || type === '7') out.push({ path, type: 'file', offset: data, size });
        else if (type === '5') out.push({ path, type: 'dir' });
        else if (type === '1' || type === '2') out.push({ path, type: 'link', linkname: pax.linkpath || field(h, 157, 100) });
        else throw new Error(`unexpected tar entry type ${type} for ${path}`);
        longName = null; pax = {};
        pos = end;
        continue;
      }
      pos = next;
    }
    return out;
  }

  // saveToDirectory writes the files of a layout tar (retar.convert's blob
  // for oci and dir) into a FileSystemDirectoryHandle, each file streamed
  // from a Blob slice. onProgress(doneBytes, totalBytes).
  async function saveToDirectory(blob, dir, onProgress) {
    const entries = await readTar(blob);
    const total = entries.reduce((n, e) => n + (e.size || 0), 0);
    let done = 0;
    const dirs = new Map([['', dir]]);
    async function dirFor(path) {
      if (dirs.has(path)) return dirs.get(path);
      const i = path.lastIndexOf('/');
      const parent = await dirFor(i < 0 ? '' : path.slice(0, i));
      const d = await parent.getDirectoryHandle(path.slice(i + 1), { create: true });
      dirs.set(path, d);
      return d;
    }
    for (const e of entries) {
      if (e.type === 'dir') { await dirFor(e.path); continue; }
      if (e.type === 'link') throw new Error(`${e.path} is a link, which a folder picked in the browser cannot hold: download the archive instead`);
      const i = e.path.lastIndexOf('/');
      const parent = await dirFor(i < 0 ? '' : e.path.slice(0, i));
      const fh = await parent.getFileHandle(e.path.slice(i + 1), { create: true });
      const w = await fh.createWritable();
      await w.write(blob.slice(e.offset, e.offset + e.size));
      await w.close();
      done += e.size;
      if (onProgress) onProgress(done, total);
    }
    return entries.filter((e) => e.type === 'file').length;
  }

  // retarOptions, set before this script runs, are the options of the
  // instance it makes (as retar.create's).
  global.retar = create(global.retarOptions || {});
})(typeof globalThis !== 'undefined' ? globalThis : self);

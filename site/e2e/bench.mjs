// site-bench: retar in headless Chromium against the floor of the machine's
// browser, measured in the same page and the same run: hashing the whole
// File in parallel Workers (as many as the page's pool, each an equal range),
// which no conversion that verifies every byte can beat. Also the renderer's
// peak RSS (polled from /proc), the native CLI for reference, and the page's
// own path (one handle: inspect, check, convert, convert again).
// Every output's sha256 (hashed in the page, as a download reads it) is
// compared with the CLI's output's. One job saves its output into a file
// as it is made (retar.convert's saveTo; a file of the origin-private file
// system stands for the one a person picks), as the CLI writes its own.
// BENCH_WHOLE_KIB sets the largest range the hashing Workers hash whole with
// WebCrypto (0: none, all with hash-wasm), for comparing. Besides the wall
// clock, each job's CPU time in Chromium's processes is given: another job
// on the machine changes it far less.
// Usage: node e2e/bench.mjs ARCHIVE (see bench.sh). Writes e2e/out/bench-SIZE.md.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync, rmSync, mkdtempSync, createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import os from 'node:os';
import { startServer, launchPersistent, newPageIn, stageFiles, retar, retarBin, out, dist, foreignRequests } from './lib.mjs';

const archive = process.argv[2];
const work = process.env.BENCH_DIR || out;
const runs = Number(process.env.BENCH_RUNS || 3);
const checkBytes = process.env.BENCH_CHECK !== '0';
const MB = 1e6;
const size = statSync(archive).size;
const say = (...a) => console.error('site-bench:', ...a);

// ---- memory of Chromium's processes, from /proc ----
function procs() {
  const m = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      m.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  return m;
}
function descendants(root) {
  const m = procs();
  const found = [];
  const walk = (p) => { for (const [c, pp] of m) if (pp === p) { found.push(c); walk(c); } };
  walk(root);
  return found;
}
// RSS from /proc/PID/status: cheap enough to poll every 50 ms without
// slowing what is measured (smaps_rollup walks page tables and does).
function memOf(pid) {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!/chrom/i.test(cmd)) return null;
    const rss = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)[1]) * 1024;
    return { pid, type: (cmd.match(/--type=([a-z-]+)/) || [, 'browser'])[1], rss };
  } catch { return null; }
}
let chromiumPids = [];
function sample() {
  const all = chromiumPids.map(memOf).filter(Boolean);
  return {
    renderer: all.filter((p) => p.type === 'renderer').reduce((a, p) => Math.max(a, p.rss), 0),
    total: all.reduce((a, p) => a + p.rss, 0),
  };
}
// cpuSecs is the CPU time Chromium's processes have used (user and
// system): unlike the wall clock, hardly changed by other jobs on the
// machine, so two designs compare on a loaded machine too.
const ticks = 100; // USER_HZ
function cpuSecs() {
  let t = 0;
  for (const pid of chromiumPids) {
    try {
      if (!/chrom/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) continue;
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      t += (Number(f[11]) + Number(f[12])) / ticks;
    } catch { /* gone */ }
  }
  return t;
}
function sampler() {
  const peak = { renderer: 0, total: 0 };
  const tick = () => { const s = sample(); peak.renderer = Math.max(peak.renderer, s.renderer); peak.total = Math.max(peak.total, s.total); };
  tick();
  const cpu0 = cpuSecs();
  const t = setInterval(tick, 50);
  return () => { clearInterval(t); tick(); peak.cpu = cpuSecs() - cpu0; return peak; };
}

// ---- native CLI ----
async function cli(args) {
  const t0 = performance.now();
  await new Promise((res, rej) => {
    const p = spawn(retarBin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`retar ${args.join(' ')}: exit ${c}`))));
  });
  return (performance.now() - t0) / 1000;
}
function fileSha(p) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(p).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej);
  });
}
// layersOf says how many layers the archive has and how big, as the CLI
// inspects it: "14, 1-60 MB and 130, 259 MB".
function layersOf(p) {
  const sizes = JSON.parse(execFileSync(retarBin, ['inspect', p], { maxBuffer: 16 << 20 })).LayersData.map((l) => l.Size);
  const small = sizes.filter((s) => s <= 64 * 1048576), big = sizes.filter((s) => s > 64 * 1048576);
  const r = (xs) => (xs.length > 1 ? `${(Math.min(...xs) / MB).toFixed(0)}–${(Math.max(...xs) / MB).toFixed(0)} MB` : `${(xs[0] / MB).toFixed(0)} MB`);
  return `${sizes.length}` + (small.length ? `, ${small.length} of ${r(small)}` : '') + (big.length ? `, ${big.length} of ${r(big)}` : '');
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const allJobs = [
  { key: 'retag', label: 'retag (docker-archive → docker-archive)', to: 'docker-archive', name: 'bench.example/retar:retag' },
  { key: 'oci', label: 'docker-archive → oci-archive', to: 'oci-archive', name: 'bench.example/retar:oci' },
  { key: 'save', label: 'retag, saved into a file as it is made', to: 'docker-archive', name: 'bench.example/retar:retag', save: true, same: 'retag' },
];
// BENCH_JOBS=retag,save runs only those (the page's path too only if 'path' is among them)
const only = process.env.BENCH_JOBS ? process.env.BENCH_JOBS.split(',') : null;
const jobs = allJobs.filter((j) => !only || only.includes(j.key));

const native = {};
for (const j of jobs) {
  if (j.same && native[j.same]) { native[j.key] = native[j.same]; continue; }
  const f = join(work, `cli-${j.key}.tar`);
  const dst = `${j.to}:${f}:${j.name}`;
  await cli(['convert', '-q', archive, dst]); // warms the page cache
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await cli(['convert', '-q', archive, dst]));
  native[j.key] = { secs: median(times), sha: checkBytes ? await fileSha(f) : '' };
  rmSync(f);
  say(`native ${j.label}: ${native[j.key].secs.toFixed(2)} s`);
}

const server = await startServer();
// a profile of its own, as a person's browser has: an incognito context's
// storage is held in memory, and its quota ends a 5 GB save at about 1.5 GB
const profile = mkdtempSync(join(work, 'profile-'));
const browser = await launchPersistent(profile);
chromiumPids = descendants(process.pid);
const wholeKiB = process.env.BENCH_WHOLE_KIB;
const { page, context, requests } = await newPageIn(browser, server, wholeKiB === undefined ? {} : { retarOptions: { wholeKiB: Number(wholeKiB) } });
chromiumPids = descendants(process.pid);
const info = await page.evaluate(() => ({ workers: retar.workers, wasm: retar.wasm, ua: navigator.userAgent }));
const loaded = sample();
const sel = await stageFiles(page, archive);
say(`Chromium loaded: renderer ${(loaded.renderer / MB).toFixed(0)} MB; ${info.workers} hashing Workers; ${info.wasm}`);

// the floor: the whole File hashed in as many Workers as the pool has,
// each an equal range, by the pool's own hasher.js (started beforehand)
// (its Workers are started once, before anything is measured, and kept)
await page.evaluate(async (n) => {
  const ws = Array.from({ length: n }, () => new Worker('hasher.js'));
  window.benchFloorJob = (w, blob, offset, length) => new Promise((res, rej) => {
    w.onmessage = (ev) => { if (ev.data.type === 'done') res(ev.data.hex); else if (ev.data.type === 'error') rej(new Error(ev.data.message)); };
    w.postMessage({ id: 1, blob, offset, length });
  });
  await Promise.all(ws.map((w) => benchFloorJob(w, new Blob([]), 0, 0))); // loaded, hash-wasm compiled
  window.benchFloor = ws;
}, info.workers);
const loadedFloor = sample();
async function floor() {
  const stop = sampler();
  const secs = await page.evaluate(async (sel) => {
    const file = document.querySelector(sel).files[0];
    const ws = window.benchFloor, per = Math.ceil(file.size / ws.length);
    const t0 = performance.now();
    await Promise.all(ws.map((w, i) => benchFloorJob(w, file, i * per, Math.max(0, Math.min(per, file.size - i * per)))));
    return (performance.now() - t0) / 1000;
  }, sel);
  return { secs, peak: stop() };
}

// one conversion as the API runs it on a dropped File: open, hash, write
async function convertOnce(j) {
  const stop = sampler();
  const r = await page.evaluate(async ({ sel, j }) => {
    const file = document.querySelector(sel).files[0];
    let last = performance.now(), maxGap = 0;
    const iv = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 10);
    let saveTo;
    if (j.save) {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry('bench-out.tar').catch(() => {});
      saveTo = await root.getFileHandle('bench-out.tar', { create: true });
    }
    const s0 = await retar.stats();
    const t0 = performance.now();
    const { blob } = await retar.convert(file, { to: j.to, name: j.name, saveTo });
    const secs = (performance.now() - t0) / 1000;
    clearInterval(iv);
    window.benchBlob = blob;
    const s1 = await retar.stats();
    return { secs, maxGap, wasm: s1.wasmMemory, whole: [s1.wholeSums - s0.wholeSums, s1.wholeBytes - s0.wholeBytes, s1.sums - s0.sums] };
  }, { sel, j: { to: j.to, name: j.name, save: !!j.save } });
  return { ...r, peak: stop() };
}

const results = { floor: [], ...Object.fromEntries(jobs.map((j) => [j.key, []])) };
let stall = 0, wasmMem = 0;
const same = {};
for (let i = 0; i < runs; i++) {
  const f = await floor();
  results.floor.push(f);
  say(`run ${i + 1}: floor ${f.secs.toFixed(2)} s, CPU ${f.peak.cpu.toFixed(2)} s (renderer ${(f.peak.renderer / MB).toFixed(0)} MB)`);
  for (const j of jobs) {
    const r = await convertOnce(j);
    results[j.key].push(r);
    stall = Math.max(stall, r.maxGap);
    wasmMem = Math.max(wasmMem, r.wasm);
    say(`run ${i + 1}: ${j.label} ${r.secs.toFixed(2)} s, CPU ${r.peak.cpu.toFixed(2)} s (renderer ${(r.peak.renderer / MB).toFixed(0)} MB; ${r.whole[0]} of ${r.whole[2]} ranges, ${(r.whole[1] / MB).toFixed(0)} MB, hashed whole)`);
    if (i === 0 && checkBytes) { // the output's bytes are the CLI's: hashed in a Worker, as a download would read them
      const hex = await page.evaluate(() => new Promise((res, rej) => {
        const w = new Worker('hasher.js');
        let done = 0, last = performance.now();
        const watch = setInterval(() => { // a read that stops is a failure, not a hang
          if (performance.now() - last > 60_000) { clearInterval(watch); w.terminate(); rej(new Error(`reading the output stopped at byte ${done}`)); }
        }, 1000);
        w.onmessage = (ev) => {
          last = performance.now();
          if (ev.data.type === 'progress') { done += ev.data.bytes; return; }
          clearInterval(watch);
          w.terminate();
          if (ev.data.type === 'done') res(ev.data.hex); else rej(new Error(ev.data.message));
        };
        w.postMessage({ id: 1, blob: window.benchBlob, offset: 0, length: window.benchBlob.size });
      }));
      say(`run ${i + 1}: ${j.label}: output hashed in the page`);
      same[j.key] = hex === native[j.key].sha;
    }
    await page.evaluate(async () => {
      window.benchBlob = null;
      await (await navigator.storage.getDirectory()).removeEntry('bench-out.tar').catch(() => {});
    });
  }
}

// the page's path: one handle for inspect, check and two conversions
const path = only && !only.includes('path') ? null : await (async () => {
  const stop = sampler();
  const r = await page.evaluate(async (sel) => {
    const file = document.querySelector(sel).files[0];
    const s0 = await retar.stats();
    const t = [performance.now()];
    const h = retar.open(file);
    await h.inspect(); t.push(performance.now());
    await h.check(); t.push(performance.now());
    await h.convert({ to: 'oci-archive', name: 'bench.example/retar:page' }); t.push(performance.now());
    await h.convert({ to: 'docker-archive', name: 'bench.example/retar:page' }); t.push(performance.now());
    h.close();
    const s1 = await retar.stats();
    const d = t.slice(1).map((x, i) => (x - t[i]) / 1000);
    return {
      inspect: d[0], check: d[1], convert: d[2], again: d[3], hashed: s1.hashedBytes - s0.hashedBytes,
      sums: s1.sums - s0.sums, wholeSums: s1.wholeSums - s0.wholeSums, wholeBytes: s1.wholeBytes - s0.wholeBytes,
    };
  }, sel);
  return { ...r, peak: stop() };
})();
if (path) say(`page path: inspect ${path.inspect.toFixed(2)} s, check ${path.check.toFixed(2)} s, convert ${path.convert.toFixed(2)} s, again ${path.again.toFixed(2)} s`);

const foreign = foreignRequests(requests, server.origin);
await context.close(); // the persistent context is the browser
rmSync(profile, { recursive: true, force: true });
server.close();

const wasm = statSync(join(dist, 'retar.wasm')).size;
const wasmGz = statSync(join(dist, 'retar.wasm.gz')).size;
const chromiumVersion = await new Promise((r) => {
  const p = spawn(process.env.CHROMIUM || '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let o = ''; p.stdout.on('data', (d) => { o += d; }); p.on('exit', () => r(o.trim()));
});
const fl = median(results.floor.map((r) => r.secs));
const mb = (b) => `${(b / MB).toFixed(0)} MB`;
const peakOf = (rs) => rs.reduce((a, r) => Math.max(a, r.peak.renderer), 0);
const flCpu = median(results.floor.map((r) => r.peak.cpu));
const rows = jobs.map((j) => {
  const secs = median(results[j.key].map((r) => r.secs));
  const cpu = median(results[j.key].map((r) => r.peak.cpu));
  return `| ${j.label} | ${secs.toFixed(2)} | ${fl.toFixed(2)} | **${(secs / fl).toFixed(2)}** | ${cpu.toFixed(2)} (${(cpu / flCpu).toFixed(2)}) | ${mb(peakOf(results[j.key]))} | ${native[j.key].secs.toFixed(2)} | ${checkBytes ? (same[j.key] ? 'same bytes as the CLI' : 'DIFFERENT BYTES') : 'not compared'} |`;
});
const lines = [
  `### ${(size / MB).toFixed(0)} MB docker-archive (SIZE_MB=${Math.round(size / 1048576)}, layers: ${layersOf(archive)}), ${runs === 1 ? 'one run' : `medians of ${runs}`}`,
  '',
  `${new Date().toISOString().slice(0, 16)}Z; ${os.cpus().length} cores (${os.cpus()[0].model.trim()}), load average ${os.loadavg()[0].toFixed(1)} at the end; ${chromiumVersion}, headless; ${info.workers} hashing Workers.`,
  '',
  '| job | Chromium | floor: the File hashed in the Workers | ratio | Chromium CPU s (vs floor) | renderer peak RSS | native CLI | output |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
  ...rows,
  `| floor alone | | ${fl.toFixed(2)} (${(size / MB / fl).toFixed(0)} MB/s) | | ${flCpu.toFixed(2)} | ${mb(peakOf(results.floor))} | | |`,
  '',
  `Renderer RSS with the page loaded: ${mb(loaded.renderer)} (${mb(loadedFloor.renderer)} with the floor's Workers); the core's wasm memory at most ${mb(wasmMem)}. ` +
  (!path ? '' : `The page's path on one handle: inspect ${path.inspect.toFixed(2)} s (hashes the layers), check ${path.check.toFixed(2)} s, ` +
  `→ oci-archive ${path.convert.toFixed(2)} s, then → docker-archive ${path.again.toFixed(2)} s; ${mb(path.hashed)} hashed in all ` +
  `(the archive is ${mb(size)}): each blob once; renderer peak ${mb(path.peak.renderer)}; Chromium's CPU ${path.peak.cpu.toFixed(2)} s. ` +
  `Hashed whole by WebCrypto: ${path.wholeSums ?? 0} of ${path.sums} ranges, ${mb(path.wholeBytes || 0)}` +
  `${wholeKiB !== undefined ? ` (BENCH_WHOLE_KIB=${wholeKiB})` : ''}; the rest by hash-wasm.`),
  `Main thread's longest pause while converting: ${stall.toFixed(0)} ms. Requests outside the origin: ${foreign.length}. ` +
  `retar.wasm ${wasm} bytes, retar.wasm.gz ${wasmGz} (what the Worker fetches: ${info.wasm}).`,
  '',
];
writeFileSync(join(out, `bench-${Math.round(size / 1048576)}-${process.env.BENCH_LAYERS || 'archive'}.md`), lines.join('\n'));
console.log(lines.join('\n'));
if (Object.values(same).some((s) => !s) || foreign.length) process.exit(1);

// site-bench: the same conversions of one archive by the native CLI and by
// the page's JS API in headless Chromium, in one run, with memory.
// Usage: node e2e/bench.mjs ARCHIVE (see bench.sh). Writes e2e/out/bench.md.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync, rmSync, createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startServer, launch, newPage, stageFiles, retar, retarBin, out, dist, foreignRequests } from './lib.mjs';

const archive = process.argv[2];
const work = process.env.BENCH_DIR || out;
const MB = 1e6;
const size = statSync(archive).size;

// ---- memory of Chromium's processes, from /proc ----
function procs() {
  const m = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      m.set(Number(d), ppid);
    } catch { /* gone */ }
  }
  return m;
}
function descendants(root) {
  const m = procs();
  const out = [];
  const walk = (p) => { for (const [c, pp] of m) if (pp === p) { out.push(c); walk(c); } };
  walk(root);
  return out;
}
// RSS from /proc/PID/status: cheap enough to sample every 100 ms without
// slowing what is measured (smaps_rollup walks page tables and does).
function memOf(pid) {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!/chrom/i.test(cmd)) return null;
    const rss = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)[1]) * 1024;
    const type = (cmd.match(/--type=([a-z-]+)/) || [, 'browser'])[1];
    return { pid, type, rss };
  } catch { return null; }
}
function sampleChromium() {
  const all = descendants(process.pid).map(memOf).filter(Boolean);
  const renderer = all.filter((p) => p.type === 'renderer').reduce((a, p) => Math.max(a, p.rss), 0);
  return { total: all.reduce((a, p) => a + p.rss, 0), renderer };
}
function sampler() {
  const peak = { total: 0, renderer: 0 };
  const tick = () => { const s = sampleChromium(); peak.total = Math.max(peak.total, s.total); peak.renderer = Math.max(peak.renderer, s.renderer); };
  tick();
  const t = setInterval(tick, 100);
  return { stop: () => { clearInterval(t); tick(); return peak; } };
}

// ---- native CLI, timed by GNU time ----
async function cli(args) {
  const tf = join(work, 'time.txt');
  const t0 = performance.now();
  await new Promise((res, rej) => {
    const p = spawn('/usr/bin/time', ['-f', '%M', '-o', tf, retarBin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`retar ${args.join(' ')}: exit ${c}`))));
  });
  const secs = (performance.now() - t0) / 1000;
  return { secs, rss: Number(readFileSync(tf, 'utf8').trim().split('\n').pop()) * 1024 };
}

function fileSha(p) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(p).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej);
  });
}

const cases = [
  { label: 'docker-archive → oci-archive', to: 'oci-archive', name: 'bench.example/retar:oci', dst: (f) => `oci-archive:${f}:bench.example/retar:oci` },
  { label: 'retag (docker-archive → docker-archive)', to: 'docker-archive', name: 'bench.example/retar:retag', dst: (f) => `docker-archive:${f}:bench.example/retar:retag` },
];

const rows = [];
const native = {};
for (const c of cases) {
  const f = join(work, `cli-${c.to}.tar`);
  await cli(['convert', '-q', archive, c.dst(f)]); // warm the page cache
  const r = await cli(['convert', '-q', archive, c.dst(f)]);
  native[c.to] = await fileSha(f);
  rmSync(f);
  rows.push({ what: c.label, how: 'native CLI (2 cores)', secs: r.secs, mem: `max RSS ${(r.rss / MB).toFixed(0)} MB` });
  console.error(`native ${c.label}: ${r.secs.toFixed(2)} s`);
}

{
  const t0 = performance.now();
  await retar('inspect', archive);
  rows.push({ what: 'inspect (hashes the layers: a docker-archive has no manifest)', how: 'native CLI (2 cores)', secs: (performance.now() - t0) / 1000, mem: '' });
}

const server = await startServer();
const browser = await launch();
let blobSame = {};
let stall = 0;
let requests = [];
for (const hasher of ['hash-wasm', 'go']) {
  const { page, context, requests: reqs } = await newPage(browser, server);
  requests = requests.concat(reqs);
  if (hasher === 'go') {
    await page.evaluate(async () => { window.retar.terminate(); window.retar = window.retar.create({ hasher: 'go' }); await window.retar.ready; });
  }
  const loaded = sampleChromium();
  const sel = await stageFiles(page, archive);
  if (hasher === 'hash-wasm') {
    const secs = await page.evaluate(async (sel) => {
      const t0 = performance.now();
      await retar.inspect(document.querySelector(sel).files[0]);
      return (performance.now() - t0) / 1000;
    }, sel);
    rows.push({ what: 'inspect (hashes the layers: a docker-archive has no manifest)', how: 'Chromium, sha256 by hash-wasm', secs, mem: '' });
  }
  for (const c of cases) {
    const s = sampler();
    const r = await page.evaluate(async ({ sel, c }) => {
      const file = document.querySelector(sel).files[0];
      // the main thread's longest pause while the Worker converts
      let last = performance.now(), maxGap = 0;
      const iv = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 10);
      const t0 = performance.now();
      const { blob, report } = await retar.convert(file, { to: c.to, name: c.name });
      const secs = (performance.now() - t0) / 1000;
      clearInterval(iv);
      const st = await retar.stats();
      window.benchBlob = blob;
      return { secs, size: blob.size, maxGap, wasm: st.wasmMemory, heap: performance.memory ? performance.memory.usedJSHeapSize : 0 };
    }, { sel, c: { to: c.to, name: c.name } });
    const peak = s.stop();
    stall = Math.max(stall, r.maxGap);
    // check the output: download it as a user would and compare with the CLI's bytes
    let same = '';
    if (hasher === 'hash-wasm') {
      const f = join(work, `page-${c.to}.tar`);
      const [dl] = await Promise.all([
        page.waitForEvent('download'),
        page.evaluate((name) => {
          const a = document.createElement('a');
          a.href = URL.createObjectURL(window.benchBlob); a.download = name; document.body.append(a); a.click();
        }, `page-${c.to}.tar`),
      ]);
      await dl.saveAs(f);
      same = (await fileSha(f)) === native[c.to] ? 'same bytes as the CLI' : 'DIFFERENT BYTES';
      blobSame[c.to] = same;
      await retar('verify', f);
      rmSync(f);
    }
    rows.push({
      what: c.label, how: `Chromium, sha256 by ${hasher}`, secs: r.secs,
      mem: `renderer peak RSS ${(peak.renderer / MB).toFixed(0)} MB (${(loaded.renderer / MB).toFixed(0)} loaded); all Chromium's RSS ${(peak.total / MB).toFixed(0)} MB (${(loaded.total / MB).toFixed(0)} loaded); wasm memory ${(r.wasm / MB).toFixed(0)} MB`,
      note: same,
    });
    console.error(`chromium/${hasher} ${c.label}: ${r.secs.toFixed(2)} s, longest main-thread pause ${r.maxGap.toFixed(0)} ms`);
  }
  await context.close();
}
await browser.close();
server.close();

const wasm = readFileSync(join(dist, 'retar.wasm'));
const foreign = foreignRequests(requests, server.origin);
const lines = [
  `# retar site-bench`,
  '',
  `${new Date().toISOString()}; ${(size / MB).toFixed(0)} MB docker-archive (scripts/genimage, 2 layers); ${(await import('node:os')).cpus().length} cores, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} at the end;`,
  `Chromium ${(await new Promise((r) => { const p = spawn(process.env.CHROMIUM || '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }); let o = ''; p.stdout.on('data', (d) => o += d); p.on('exit', () => r(o.trim())); }))}.`,
  '',
  `retar.wasm: ${wasm.length} bytes raw, ${gzipSync(wasm, { level: 9 }).length} gzip -9.`,
  `Main thread's longest pause during the conversions: ${stall.toFixed(0)} ms. Requests outside the origin: ${foreign.length}.`,
  '',
  '| conversion | by | seconds | MB/s | memory | output |',
  '|---|---|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.what} | ${r.how} | ${r.secs.toFixed(2)} | ${(size / MB / r.secs).toFixed(0)} | ${r.mem} | ${r.note || ''} |`),
  '',
];
writeFileSync(join(out, 'bench.md'), lines.join('\n'));
console.log(lines.join('\n'));
if (Object.values(blobSame).some((s) => s !== 'same bytes as the CLI') || foreign.length) process.exit(1);

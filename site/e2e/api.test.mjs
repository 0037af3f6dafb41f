// The documented JS API (retar.js) in headless Chromium: every source
// layout into every destination layout, each output byte for byte what the
// native CLI writes, verified by `retar verify`; folders written through the
// File System Access API; cancelling; and no request leaving the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, launch, newPage, foreignRequests, stageFiles, retar, fixtures, out, sha256, tarExtract, treeDigest,
} from './lib.mjs';

const sources = {
  'docker-archive': join(fixtures, 'docker-save-single.tar'),
  'oci-archive': join(fixtures, 'skopeo-oci-archive-named.tar'),
  oci: join(fixtures, 'skopeo-oci-zstd'),
  dir: join(fixtures, 'skopeo-dir-v2s2'),
};
const layouts = ['docker-archive', 'oci-archive', 'oci', 'dir'];
const NAME = 'example.com/retar/api:1';
const TAG = 'example.com/retar/api:latest';

let server, browser, session;
before(async () => {
  server = await startServer();
  browser = await launch();
  session = await newPage(browser, server);
});
after(async () => {
  await session?.context.close();
  await browser?.close();
  server?.close();
});

// convertInPage stages path as Files and converts them with retar.convert;
// it returns the output's bytes, name, report and the progress seen.
async function convertInPage(page, path, opts) {
  const sel = await stageFiles(page, path);
  const r = await page.evaluate(async ({ sel, opts }) => {
    const files = document.querySelector(sel).files;
    const input = files[0].webkitRelativePath ? Array.from(files) : files[0];
    const phases = new Set();
    let last = null;
    const { blob, name, report } = await retar.convert(input, {
      ...opts, onProgress: (p) => { phases.add(p.phase); last = [p.bytes, p.totalBytes]; },
    });
    const b = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
    return { b64: btoa(s), name, report, phases: [...phases], last };
  }, { sel, opts });
  return { ...r, data: Buffer.from(r.b64, 'base64') };
}

for (const from of layouts) {
  for (const to of layouts) {
    test(`retar.convert ${from} → ${to} equals the CLI's output and verifies`, async () => {
      const { page } = session;
      const got = await convertInPage(page, sources[from], { to, name: NAME, tags: [TAG] });
      assert.equal(got.report.layout, to);
      assert.ok(got.phases.includes('writing'), `phases ${got.phases}`);
      assert.equal(got.last[0], got.last[1], 'progress ends at its total');
      assert.match(got.name, new RegExp(`\\.${to}\\.tar$`));
      const base = join(out, 'api', `${from}--${to}`);
      rmSync(base, { recursive: true, force: true });
      mkdirSync(base, { recursive: true });
      const file = join(base, got.name);
      writeFileSync(file, got.data);

      // the CLI's output for the same conversion
      const cli = join(base, 'cli');
      const dst = to === 'dir' ? `dir:${cli}` : `${to}:${cli}:${NAME}`;
      const tags = to === 'dir' ? ['-t', NAME, '-t', TAG] : ['-t', TAG];
      await retar('convert', '-q', ...tags, sources[from], dst);
      if (to === 'docker-archive' || to === 'oci-archive') {
        assert.equal(sha256(got.data), sha256(readFileSync(cli)), 'same bytes as the CLI');
        await retar('verify', file);
      } else {
        const tree = join(base, 'tree');
        await tarExtract(file, tree);
        assert.deepEqual(treeDigest(tree), treeDigest(cli), 'same files as the CLI');
        await retar('verify', `${to}:${tree}`);
      }
      if (to !== 'dir') {
        const ref = to === 'docker-archive' ? file : `${to}:${to === 'oci' ? join(base, 'tree') : file}`;
        const info = JSON.parse((await retar('inspect', ref)).stdout);
        assert.deepEqual(info.Images[0].Names.slice().sort(), [NAME, TAG].sort());
      }
    });
  }
}

test('retar.inspect gives retar inspect\'s JSON', async () => {
  const { page } = session;
  const sel = await stageFiles(page, join(fixtures, 'docker-save-two-images.tar'));
  const got = await page.evaluate((sel) => retar.inspect(document.querySelector(sel).files[0]), sel);
  const want = JSON.parse((await retar('inspect', join(fixtures, 'docker-save-two-images.tar'))).stdout);
  assert.deepEqual(got, want);
});

test('retar.check gives retar check\'s verdicts', async () => {
  const { page } = session;
  const path = join(fixtures, 'skopeo-docker-archive-unnamed.tar');
  const sel = await stageFiles(page, path);
  const got = await page.evaluate((sel) => retar.check(document.querySelector(sel).files[0]), sel);
  const want = JSON.parse((await retar('check', '--json', path)).stdout);
  const strip = (r) => r.consumers.map(({ command, ...v }) => v);
  assert.deepEqual(strip(got), strip(want));
  assert.equal(got.consumers.find((v) => v.consumer === 'ctr-1.6').loads, false);
});

test('oci and dir outputs written into a folder (File System Access API, origin-private)', async () => {
  const { page } = session;
  for (const to of ['oci', 'dir']) {
    const sel = await stageFiles(page, sources['docker-archive']);
    const got = await page.evaluate(async ({ sel, to }) => {
      const { blob } = await retar.convert(document.querySelector(sel).files[0], { to, name: 'example.com/retar/fs:1' });
      const root = await navigator.storage.getDirectory();
      await root.removeEntry(to, { recursive: true }).catch(() => {});
      const dir = await root.getDirectoryHandle(to, { create: true });
      const n = await retar.saveToDirectory(blob, dir);
      const listed = {};
      async function walk(d, prefix) {
        for await (const [name, h] of d.entries()) {
          if (h.kind === 'directory') await walk(h, prefix + name + '/');
          else {
            const buf = await (await h.getFile()).arrayBuffer();
            const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
            listed[prefix + name] = Array.from(sum, (x) => x.toString(16).padStart(2, '0')).join('');
          }
        }
      }
      await walk(dir, '');
      const tar = (await retar.readTar(blob)).filter((e) => e.type === 'file').map((e) => e.path).sort();
      return { n, listed, tar };
    }, { sel, to });
    assert.deepEqual(Object.keys(got.listed).sort(), got.tar);
    assert.equal(got.n, got.tar.length);
    const cli = join(out, 'api', `fs-${to}`);
    rmSync(cli, { recursive: true, force: true });
    await retar('convert', '-q', sources['docker-archive'], to === 'dir' ? `dir:${cli}` : `oci:${cli}:example.com/retar/fs:1`);
    assert.deepEqual(got.listed, treeDigest(cli));
  }
});

test('a running conversion can be cancelled, and retar works afterwards', async () => {
  const { page } = session;
  const sel = await stageFiles(page, sources['docker-archive']);
  const r = await page.evaluate(async (sel) => {
    const file = document.querySelector(sel).files[0];
    const ac = new AbortController();
    const p = retar.convert(file, { to: 'oci-archive', compress: 'gzip', signal: ac.signal });
    ac.abort();
    let name;
    try { await p; name = 'resolved'; } catch (e) { name = e.name; }
    await retar.ready;
    const again = await retar.convert(file, { to: 'oci-archive' });
    return { name, size: again.blob.size };
  }, sel);
  assert.equal(r.name, 'AbortError');
  assert.ok(r.size > 0);
});

test('bad calls reject with clear errors', async () => {
  const { page } = session;
  const msgs = await page.evaluate(async () => {
    const m = [];
    const f = new File(['not a tar'], 'notes.txt');
    for (const call of [
      () => retar.convert(f, {}),
      () => retar.convert(f, { to: 'oci' }),
      () => retar.convert(null, { to: 'oci' }),
      () => retar.inspect([]),
    ]) {
      try { await call(); m.push('resolved'); } catch (e) { m.push(e.message); }
    }
    return m;
  });
  assert.match(msgs[0], /opts\.to is required/);
  assert.match(msgs[1], /notes\.txt/);
  assert.match(msgs[2], /no input/);
  assert.match(msgs[3], /folder is empty/);
});

test('the Worker uses hash-wasm for sha256, and nothing left the origin', async () => {
  const { page, requests, errors } = session;
  assert.equal(await page.evaluate(() => retar.hasher), 'hash-wasm');
  assert.deepEqual(foreignRequests(requests, server.origin), []);
  assert.ok(requests.some((u) => u.endsWith('/sha256.umd.min.js')));
  assert.deepEqual(errors, []);
});

// pageSha hashes a Blob in the page (small outputs only).
const pageSha = `async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await b.arrayBuffer())), (x) => x.toString(16).padStart(2, '0')).join('')`;

test('a handle hashes each blob once across inspect, check and two conversions', async () => {
  const { page } = session;
  for (const from of ['docker-archive', 'oci-archive', 'oci']) {
    const sel = await stageFiles(page, sources[from]);
    const got = await page.evaluate(async ({ sel, pageSha }) => {
      const sha = eval(pageSha);
      const files = document.querySelector(sel).files;
      const input = files[0].webkitRelativePath ? Array.from(files) : files[0];
      const s0 = await retar.stats();
      const h = retar.open(input);
      const info = await h.inspect();
      await h.check();
      const a = await h.convert({ to: 'oci-archive', name: 'example.com/retar/handle:1' });
      const b = await h.convert({ to: 'docker-archive', name: 'example.com/retar/handle:1' });
      const c = await h.convert({ to: 'oci-archive', name: 'example.com/retar/handle:1' });
      const s1 = await retar.stats();
      h.close();
      let closed;
      try { await h.inspect(); closed = 'resolved'; } catch (e) { closed = e.message; }
      return {
        hashed: s1.hashedBytes - s0.hashedBytes, sums: s1.sums - s0.sums,
        layers: info.LayersData.reduce((n, l) => n + l.Size, 0), count: info.LayersData.length,
        a: await sha(a.blob), b: await sha(b.blob), c: await sha(c.blob), closed,
      };
    }, { sel, pageSha });
    assert.equal(got.hashed, got.layers, `${from}: each layer's bytes hashed once`);
    assert.equal(got.sums, got.count, `${from}: one sum per layer`);
    assert.equal(got.a, got.c, `${from}: converting twice from one handle gives the same bytes`);
    const cli = join(out, 'api', `handle-${from}`);
    mkdirSync(cli, { recursive: true });
    await retar('convert', '-q', sources[from], `oci-archive:${join(cli, 'o.tar')}:example.com/retar/handle:1`);
    await retar('convert', '-q', sources[from], `docker-archive:${join(cli, 'd.tar')}:example.com/retar/handle:1`);
    assert.equal(got.a, sha256(readFileSync(join(cli, 'o.tar'))), `${from}: the CLI's bytes`);
    assert.equal(got.b, sha256(readFileSync(join(cli, 'd.tar'))), `${from}: the CLI's bytes`);
    assert.match(got.closed, /closed/);
  }
});

test('a handle survives a cancel: the next call opens the archive again', async () => {
  const { page } = session;
  const sel = await stageFiles(page, sources['docker-archive']);
  const r = await page.evaluate(async (sel) => {
    const h = retar.open(document.querySelector(sel).files[0]);
    await h.inspect();
    const ac = new AbortController();
    const p = h.convert({ to: 'oci-archive', compress: 'gzip', signal: ac.signal });
    ac.abort();
    let name;
    try { await p; name = 'resolved'; } catch (e) { name = e.name; }
    const again = await h.convert({ to: 'oci-archive' });
    h.close();
    return { name, size: again.blob.size };
  }, sel);
  assert.equal(r.name, 'AbortError');
  assert.ok(r.size > 0);
});

test('onProgress carries phase, bytes, totalBytes, blobs and totalBlobs', async () => {
  const { page } = session;
  const sel = await stageFiles(page, sources['docker-archive']);
  const seen = await page.evaluate(async (sel) => {
    const seen = [];
    const file = document.querySelector(sel).files[0];
    await retar.convert(file, { to: 'oci-archive', onProgress: (p) => seen.push(p) });
    await retar.convert(file, { to: 'oci-archive', compress: 'zstd', onProgress: (p) => seen.push(p) });
    return seen;
  }, sel);
  for (const p of seen) assert.deepEqual(Object.keys(p).sort(), ['blobs', 'bytes', 'phase', 'totalBlobs', 'totalBytes']);
  const last = (phase) => seen.filter((p) => p.phase === phase).pop();
  for (const phase of ['verifying', 're-encoding', 'writing']) {
    const p = last(phase);
    assert.ok(p, `a ${phase} phase in ${seen.map((s) => s.phase)}`);
    assert.equal(p.bytes, p.totalBytes, `${phase} ends at its total`);
  }
  assert.equal(last('verifying').blobs, last('verifying').totalBlobs);
  assert.equal(last('verifying').totalBlobs, 2);
});

test('the Worker loads retar.wasm.gz and hashes in a pool of Workers', async () => {
  const { page, requests } = session;
  assert.equal(await page.evaluate(() => retar.wasm), 'retar.wasm.gz');
  assert.ok(requests.some((u) => u.endsWith('/retar.wasm.gz')));
  assert.ok(!requests.some((u) => u.endsWith('/retar.wasm')), 'the uncompressed retar.wasm is not fetched');
  assert.ok(requests.some((u) => u.endsWith('/hasher.js')));
  assert.ok(await page.evaluate(() => retar.workers) >= 2);
});

test('small ranges are hashed whole by WebCrypto, larger ones by hash-wasm, to the same outputs', async () => {
  const { page } = session;
  const sel = await stageFiles(page, sources['docker-archive']);
  const got = await page.evaluate(async ({ sel, pageSha }) => {
    const sha = eval(pageSha);
    const file = document.querySelector(sel).files[0];
    const run = async (r) => {
      const s0 = await r.stats();
      const { blob } = await r.convert(file, { to: 'oci-archive', name: 'example.com/retar/whole:1' });
      const s1 = await r.stats();
      return { sha: await sha(blob), sums: s1.sums - s0.sums, whole: s1.wholeSums - s0.wholeSums, wholeBytes: s1.wholeBytes - s0.wholeBytes, hashed: s1.hashedBytes - s0.hashedBytes };
    };
    const byDefault = await run(retar);
    const none = retar.create({ wholeKiB: 0 });
    const all = retar.create({ wholeKiB: 64 * 1024 });
    const some = retar.create({ wholeKiB: 4 }); // the fixture's layers are 2.5 and 7.5 KiB
    const out = { byDefault, none: await run(none), all: await run(all), some: await run(some) };
    for (const r of [none, all, some]) r.terminate();
    return out;
  }, { sel, pageSha });
  const cli = join(out, 'api', 'whole');
  mkdirSync(cli, { recursive: true });
  await retar('convert', '-q', sources['docker-archive'], `oci-archive:${join(cli, 'o.tar')}:example.com/retar/whole:1`);
  const want = sha256(readFileSync(join(cli, 'o.tar')));
  for (const [k, r] of Object.entries(got)) {
    assert.equal(r.sha, want, `${k}: the CLI's bytes`);
    assert.ok(r.sums >= 2, `${k}: the layers went to the hashing Workers (${r.sums})`);
    assert.equal(r.wholeBytes <= r.hashed, true, k);
  }
  assert.equal(got.byDefault.whole, got.byDefault.sums, 'by default, these small layers are hashed whole');
  assert.equal(got.none.whole, 0, 'wholeKiB 0: none whole');
  assert.equal(got.all.whole, got.all.sums);
  assert.ok(got.some.whole > 0 && got.some.whole < got.some.sums, `wholeKiB 4: some whole (${got.some.whole} of ${got.some.sums})`);
});

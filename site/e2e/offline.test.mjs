// The page works offline and installs: its service worker keeps
// the page, the Worker, retar.wasm and the hashers on the first visit, so
// with the network off a reload still converts; its manifest and icons make
// Chromium offer to install it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageSession, tid, launchPersistent, foreignRequests, dropFile, retar, fixtures, out } from './lib.mjs';

const session = pageSession();

test('load once, go offline, reload, convert', async () => {
  const { context, page, requests, errors } = await session.newPage();
  try {
    // the first visit installs the service worker, which takes the page
    await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 30_000 });
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const c = await caches.open(keys.find((k) => k.startsWith('retar-')));
      return (await c.keys()).map((r) => new URL(r.url).pathname).sort();
    });
    for (const f of ['/', '/index.html', '/app.js', '/words.js', '/retar.js', '/worker.js', '/hasher.js', '/retar.wasm.gz', '/wasm_exec.js', '/sha256.umd.min.js', '/manifest.webmanifest']) {
      assert.ok(cached.includes(f), `${f} cached: ${cached.join(' ')}`);
    }

    // a Worker served from the cache still sees its URL's query
    assert.equal(await page.evaluate(async () => {
      const r = retar.create({ hasher: 'go' });
      await r.ready;
      r.terminate();
      return r.hasher;
    }), 'go');

    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => window.retar && window.retar.version, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => navigator.onLine), false);
    assert.ok(await page.evaluate(() => retar.workers) >= 2, 'the hashing Workers started offline too');

    await dropFile(page, join(fixtures, 'skopeo-docker-archive-unnamed.tar'));
    await page.waitForSelector(`${tid('layers')} tbody tr`, { state: 'attached' });
    await page.fill(tid('name'), 'example.com/retar/offline:1');
    await page.selectOption(tid('dest-layout'), 'oci-archive');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('download')}:visible`, { timeout: 60_000 });
    const file = join(out, 'offline.tar');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('download'))]);
    rmSync(file, { force: true });
    await dl.saveAs(file);
    await retar('verify', file);
    const info = JSON.parse((await retar('inspect', `oci-archive:${file}`)).stdout);
    assert.deepEqual(info.Images[0].Names, ['example.com/retar/offline:1']);
    assert.deepEqual(foreignRequests(requests, session.server.origin), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('Chromium finds the page installable (manifest, icons, service worker)', async () => {
  // Chromium offers no install in an incognito profile, which is what
  // browser.newContext makes: this test has a profile of its own.
  const profile = mkdtempSync(join(tmpdir(), 'retar-e2e-profile-'));
  const context = await launchPersistent(profile);
  try {
    const page = context.pages()[0] || await context.newPage();
    await page.goto(session.server.url);
    await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 30_000 });
    const cdp = await context.newCDPSession(page);
    const m = await cdp.send('Page.getAppManifest');
    assert.match(m.url, /\/manifest\.webmanifest$/);
    assert.deepEqual(m.errors, []);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    const icons = JSON.parse(m.data).icons.map((i) => i.src);
    for (const src of icons) {
      assert.equal(await page.evaluate((s) => fetch(s).then((r) => r.status), src), 200, src);
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

// Saving into a file as the output is made (the File System Access API's
// showSaveFilePicker → FileSystemWritableFileStream), in headless Chromium.
// The save dialog needs a person, so these pages have a stand-in that picks
// a file of the origin-private file system (lib.mjs: newPage {save: 'opfs'});
// the writing is the browser's own: a swap file, put in place on close().
// The file holds the Blob path's bytes (and the CLI's); a conversion that
// fails or is cancelled while writing leaves the file as it was, or removes
// the empty file the dialog made, and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pageSession, tid, foreignRequests, dropFile, stageFiles, retar, fixtures, out, sha256, bigArchive } from './lib.mjs';

const session = pageSession();
async function statusIs(page, re) {
  try {
    await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), re.source, { timeout: 120_000 });
  } catch (err) {
    throw new Error(`the status is ${JSON.stringify(await page.textContent('#status'))}, not ${re}: ${err.message}`);
  }
}

// In the page: hex sha256 of a Blob, and the origin-private file system's
// files (name → size), swap files included if any were left.
const helpers = () => {
  window.e2eSha = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await b.arrayBuffer())), (x) => x.toString(16).padStart(2, '0')).join('');
  window.e2eFiles = async () => {
    const root = await navigator.storage.getDirectory();
    const m = {};
    for await (const [name, h] of root.entries()) m[name] = h.kind === 'file' ? (await h.getFile()).size : 'dir';
    return m;
  };
  window.e2eClear = async () => {
    const root = await navigator.storage.getDirectory();
    for await (const [name] of root.entries()) await root.removeEntry(name, { recursive: true });
  };
  // e2eTarget makes a file of the origin-private file system holding text
  // ('' for none: as a save dialog leaves a new file)
  window.e2eTarget = async (name, text) => {
    const root = await navigator.storage.getDirectory();
    const h = await root.getFileHandle(name, { create: true });
    const w = await h.createWritable();
    await w.write(text);
    await w.close();
    return h;
  };
};

test('retar.convert with saveTo writes the Blob path\'s bytes into the file, for every layout', async () => {
  const { context, page, requests, errors } = await session.newPage({ save: 'opfs' });
  try {
    await page.evaluate(helpers);
    for (const src of ['docker-save-single.tar', 'skopeo-oci-archive-named.tar']) {
      const sel = await stageFiles(page, join(fixtures, src));
      for (const to of ['docker-archive', 'oci-archive', 'oci', 'dir']) {
        const got = await page.evaluate(async ({ sel, to }) => {
          await e2eClear();
          const file = document.querySelector(sel).files[0];
          const opts = { to, name: 'example.com/retar/save:1', tags: ['example.com/retar/save:2'] };
          const kept = await retar.convert(file, opts);
          const target = await e2eTarget('picked.tar', '');
          const phases = new Set();
          const saved = await retar.convert(file, { ...opts, saveTo: target, onProgress: (p) => phases.add(p.phase) });
          const onDisk = await target.getFile();
          return {
            kept: { name: kept.name, sha: await e2eSha(kept.blob), saved: !!kept.saved },
            saved: { name: saved.name, blobName: saved.blob.name, size: saved.blob.size, sha: await e2eSha(saved.blob), saved: saved.saved, report: saved.report.layout },
            disk: { size: onDisk.size, sha: await e2eSha(onDisk) },
            suggested: retar.outputName(file, to),
            files: await e2eFiles(),
            phases: [...phases],
          };
        }, { sel, to });
        const what = `${src} → ${to}`;
        assert.equal(got.saved.saved, true, what);
        assert.equal(got.kept.saved, false, `${what}: the Blob path is not saved`);
        assert.equal(got.disk.sha, got.kept.sha, `${what}: the file holds the Blob path's bytes`);
        assert.equal(got.saved.sha, got.kept.sha, `${what}: the result's blob is the file`);
        assert.equal(got.saved.blobName, 'picked.tar');
        assert.equal(got.saved.name, got.kept.name);
        assert.equal(got.suggested, got.kept.name, `${what}: retar.outputName is the name convert gives`);
        assert.equal(got.saved.report, to);
        assert.ok(got.phases.includes('writing'), what);
        assert.deepEqual(got.files, { 'picked.tar': got.disk.size }, `${what}: one file, no swap file left`);
        if (to === 'oci-archive' && src === 'docker-save-single.tar') {
          const cli = join(out, 'save', 'cli.tar');
          mkdirSync(join(out, 'save'), { recursive: true });
          await retar('convert', '-q', '-t', 'example.com/retar/save:2', join(fixtures, src), `oci-archive:${cli}:example.com/retar/save:1`);
          assert.equal(got.disk.sha, sha256(readFileSync(cli)), 'the CLI\'s bytes');
        }
      }
    }
    assert.deepEqual(foreignRequests(requests, session.server.origin), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a conversion that fails while writing leaves the file as it was, or removes the empty one, and says so', async () => {
  const { context, page, errors } = await session.newPage({ save: 'opfs' });
  try {
    await page.evaluate(helpers);
    const sel = await stageFiles(page, join(fixtures, 'docker-save-single.tar'));
    const got = await page.evaluate(async (sel) => {
      await e2eClear();
      const root = await navigator.storage.getDirectory();
      const res = {};
      for (const [target, text] of [['old.tar', 'what the file held before'], ['new.tar', '']]) {
        // the input is a file that goes away once it has been read: its
        // layers are then copied from nothing, while the output is written
        const inH = await e2eTarget('input.tar', '');
        const w = await inH.createWritable();
        await w.write(document.querySelector(sel).files[0]);
        await w.close();
        const h = retar.open(await inH.getFile());
        await h.inspect();
        await root.removeEntry('input.tar');
        const t = await e2eTarget(target, text);
        let wrote = 0;
        try {
          await h.convert({ to: 'oci-archive', saveTo: t, onProgress: (p) => { if (p.phase === 'writing') wrote = Math.max(wrote, p.bytes); } });
          res[target] = { error: 'none' };
        } catch (e) {
          res[target] = { error: e.message, output: e.output, wrote };
        }
        h.close();
        res[target].files = await e2eFiles();
        res[target].text = res[target].files[target] === undefined ? null : await (await t.getFile()).text();
      }
      // refused before a byte is written: the file the dialog made goes too
      const t = await e2eTarget('refused.tar', '');
      try {
        await retar.convert(document.querySelector(sel).files[0], { to: 'oci-archive', name: 'Not A Name', saveTo: t });
        res.refused = { error: 'none' };
      } catch (e) {
        res.refused = { error: e.message, field: e.field, output: e.output, files: await e2eFiles() };
      }
      return res;
    }, sel);
    for (const t of ['old.tar', 'new.tar']) {
      assert.match(got[t].error, /writing the output at byte [1-9]\d*: NotFoundError/, `${t}: fails while writing`);
      assert.ok(got[t].wrote > 0, `${t}: bytes were written before it failed`);
    }
    assert.deepEqual(got['old.tar'].output, { name: 'old.tar', left: 'unchanged' });
    assert.equal(got['old.tar'].text, 'what the file held before', 'the old bytes, not a half-written archive');
    assert.deepEqual(got['new.tar'].output, { name: 'new.tar', left: 'removed' });
    assert.deepEqual(got['new.tar'].files, { 'old.tar': 25 }, 'the empty file is gone, and no swap file is left');
    assert.equal(got.refused.field, 'name', got.refused.error);
    assert.deepEqual(got.refused.output, { name: 'refused.tar', left: 'removed' });
    assert.deepEqual(got.refused.files, { 'old.tar': 25 });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the page saves into the picked file; closing the dialog or Cancel while writing saves nothing', async () => {
  const big = await bigArchive(512);
  const { context, page, requests, errors } = await session.newPage({ save: 'opfs' });
  try {
    await page.evaluate(helpers);
    await page.evaluate(() => e2eClear());
    await dropFile(page, join(fixtures, 'docker-save-single.tar'));
    await statusIs(page, /^Read docker-save-single\.tar/);
    assert.equal((await page.textContent(tid('convert'))).trim(), 'Convert and save…');
    await page.fill(tid('name'), 'example.com/retar/saved:1');
    await page.selectOption(tid('dest-layout'), 'oci-archive');

    // the dialog closed: nothing converted, nothing written
    await page.evaluate(() => { window.e2eSaveCancel = true; });
    await page.click(tid('convert'));
    await statusIs(page, /^Not converted: no file was picked to save it in\.$/);
    assert.deepEqual(await page.evaluate(() => e2eFiles()), {});
    assert.equal(await page.isHidden(tid('task')), true);

    // saved: the page says where, and has nothing to download
    await page.evaluate(() => { window.e2eSaveCancel = false; });
    await page.click(tid('convert'));
    await statusIs(page, /^Converted to oci-archive and saved as docker-save-single\.oci-archive\.tar\.$/);
    const picked = await page.evaluate(() => e2eSaves.at(-1));
    assert.equal(picked.suggestedName, 'docker-save-single.oci-archive.tar');
    assert.deepEqual(picked.types[0].accept, { 'application/x-tar': ['.tar'] });
    assert.match(await page.textContent(tid('saved')), /^Saved as docker-save-single\.oci-archive\.tar \(\d+\.\d KiB\)\.$/);
    assert.equal(await page.isHidden(tid('download')), true);
    assert.match(await page.textContent(tid('progress-text')), /saved as docker-save-single\.oci-archive\.tar\.$/);
    await page.waitForSelector(`${tid('result-loaders')} tbody tr`, { state: 'attached' });
    assert.match(await page.innerText(tid('result-loads')), /→ 15 of 15 loaders/, 'who loads it is read from the saved file');
    const cli = join(out, 'save', 'page-cli.tar');
    mkdirSync(join(out, 'save'), { recursive: true });
    rmSync(cli, { force: true });
    await retar('convert', '-q', join(fixtures, 'docker-save-single.tar'), `oci-archive:${cli}:example.com/retar/saved:1`);
    const onDisk = await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      return e2eSha(await (await root.getFileHandle('docker-save-single.oci-archive.tar')).getFile());
    });
    assert.equal(onDisk, sha256(readFileSync(cli)), 'the saved file holds the CLI\'s bytes');

    // Cancel while writing a large output: the new file is removed, and the page says so
    await dropFile(page, big);
    await statusIs(page, /^Read big-512\.tar/);
    await page.selectOption(tid('dest-layout'), 'docker-archive');
    await page.evaluate(() => { window.e2eSaveAs = 'big.tar'; });
    await page.click(tid('convert'));
    await page.waitForFunction(() => /^Writing \d/.test(document.getElementById('progress-text').textContent), null, { timeout: 120_000 });
    await page.click(tid('cancel'));
    await statusIs(page, /^Cancelled\. Nothing was saved: big\.tar was removed\.$/);
    const files = await page.evaluate(() => e2eFiles());
    assert.deepEqual(Object.keys(files), ['docker-save-single.oci-archive.tar'], 'no big.tar, no swap file');
    assert.equal(await page.isHidden(tid('result')), true);

    assert.deepEqual(foreignRequests(requests, session.server.origin), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

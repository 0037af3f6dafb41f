// The page as a person uses it, in headless Chromium with real
// drops: reading shows the bar, rate and Cancel; the name fields follow
// each new file; the file picker names what was dropped; the loaders' notes
// point to the page's own fields; a docker-archive's missing manifest
// digest is explained; errors are in the user's words with the detail
// behind a toggle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageSession, tid, foreignRequests, dropFile, retar, fixtures, out, bigArchive } from './lib.mjs';

const session = pageSession();
const statusIs = (page, re) => page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), re.source, { timeout: 60_000 });

test('reading a large archive shows the bar, its rate and Cancel, and Cancel stops it', async () => {
  const big = await bigArchive(512);
  const { context, page, requests, errors } = await session.newPage();
  try {
    // what the task box shows, each time it changes
    await page.evaluate(() => {
      window.seen = [];
      const task = document.getElementById('task');
      new MutationObserver(() => {
        if (task.hidden) return;
        const bar = document.getElementById('progress');
        window.seen.push({
          text: document.getElementById('progress-text').textContent,
          cancel: !document.getElementById('cancel').hidden,
          underDrop: task.parentElement.contains(document.getElementById('drop-zone')),
          value: bar.value, max: bar.max,
        });
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await dropFile(page, big);
    await statusIs(page, /^Read big-512\.tar/);
    const seen = await page.evaluate(() => window.seen);
    const reading = seen.filter((s) => /^Reading big-512\.tar \(512\.\d MiB\): verifying digests/.test(s.text));
    assert.ok(reading.length > 0, `no reading progress in ${JSON.stringify(seen.slice(0, 5))}`);
    assert.ok(reading.every((s) => s.cancel && s.underDrop), 'Cancel shows, under the drop zone, while reading');
    assert.ok(reading.some((s) => /\d+(\.\d+)? MiB of 512\.\d MiB \(\d+%\), [01] of 2 blobs, \d+ MB\/s/.test(s.text) && s.value > 0 && s.max > 1),
      `a bar with bytes and a rate: ${reading.map((s) => s.text).join(' | ')}`);
    assert.equal(await page.isHidden(tid('task')), true, 'the box goes once read');

    // Cancel while reading: the page says so and reads the next file
    await dropFile(page, big);
    await page.waitForFunction(() => /verifying digests/.test(document.getElementById('progress-text').textContent), null, { timeout: 30_000 });
    await page.click(tid('cancel'));
    await statusIs(page, /^Cancelled reading big-512\.tar/);
    assert.equal(await page.isHidden(tid('task')), true);
    assert.equal(await page.isHidden('#options'), true);
    await dropFile(page, join(fixtures, 'docker-save-single.tar'));
    await statusIs(page, /^Read docker-save-single\.tar/);
    assert.deepEqual(foreignRequests(requests, session.server.origin), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the name fields are filled from each new file, never kept from the last one', async () => {
  const { context, page, errors } = await session.newPage();
  const fields = () => page.evaluate(() => [document.getElementById('name').value, document.getElementById('tags').value]);
  try {
    await dropFile(page, join(fixtures, 'docker-save-two-tags.tar'));
    await statusIs(page, /^Read docker-save-two-tags\.tar/);
    assert.deepEqual(await fields(), ['docker.io/library/retar-test:1', 'docker.io/library/retar-test:one']);
    await page.fill(tid('name'), 'example.com/typed/by-hand:1');
    await page.fill(tid('tags'), 'example.com/typed/extra:2');

    await dropFile(page, join(fixtures, 'skopeo-docker-archive-unnamed.tar'));
    await statusIs(page, /^Read skopeo-docker-archive-unnamed\.tar/);
    assert.deepEqual(await fields(), ['', ''], 'an unnamed archive gains no name from the last one');

    await dropFile(page, join(fixtures, 'docker-save-single.tar'));
    await statusIs(page, /^Read docker-save-single\.tar/);
    assert.deepEqual(await fields(), ['docker.io/library/retar-test:1', '']);
    // converted as filled, the image keeps exactly its own names
    await page.selectOption(tid('dest-layout'), 'oci-archive');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('download')}:visible`, { timeout: 60_000 });
    const file = join(out, 'person-names.tar');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('download'))]);
    rmSync(file, { force: true });
    await dl.saveAs(file);
    const info = JSON.parse((await retar('inspect', `oci-archive:${file}`)).stdout);
    assert.deepEqual(info.Images.map((i) => i.Names), [['docker.io/library/retar-test:1']]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('after a drop the file picker names the dropped file', async () => {
  const { context, page } = await session.newPage();
  try {
    await page.setInputFiles(tid('folder-input'), join(fixtures, 'podman-save-oci-dir'));
    await statusIs(page, /^Read folder podman-save-oci-dir/);
    await dropFile(page, join(fixtures, 'docker-save-single.tar'));
    await statusIs(page, /^Read docker-save-single\.tar/);
    const pickers = await page.evaluate(() => ({
      file: Array.from(document.getElementById('file-input').files, (f) => f.name),
      folder: document.getElementById('folder-input').files.length,
    }));
    assert.deepEqual(pickers, { file: ['docker-save-single.tar'], folder: 0 });
  } finally {
    await context.close();
  }
});

test('the loaders\' notes point to the Name field, not to the command line', async () => {
  const { context, page } = await session.newPage();
  try {
    await dropFile(page, join(fixtures, 'skopeo-docker-archive-unnamed.tar'));
    await page.waitForSelector(`${tid('loaders')} tbody tr`, { state: 'attached' });
    await page.click(`${tid('inspect-details')} > summary`);
    const notes = await page.innerText(tid('loaders'));
    assert.doesNotMatch(notes, /retar convert|-t NAME/);
    const ctrRow = page.locator(`${tid('loaders')} tr`, { hasText: 'containerd 1.6/1.7' });
    assert.match(await ctrRow.innerText(), /without a name[\s\S]*fill in Name below/);
    await ctrRow.getByRole('link', { name: 'Name', exact: true }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'name');
  } finally {
    await context.close();
  }
});

test('a docker-archive result says why it has no manifest digest', async () => {
  const { context, page } = await session.newPage();
  const fact = (term) => page.$$eval(`${tid('result-digests')} dt`, (dts, term) => dts.find((d) => d.textContent === term).nextElementSibling.textContent, term);
  try {
    await dropFile(page, join(fixtures, 'skopeo-oci-archive-named.tar'));
    await statusIs(page, /^Read /);
    await page.selectOption(tid('dest-layout'), 'docker-archive');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('download')}:visible`, { timeout: 60_000 });
    assert.match(await fact('Digest'), /^none: docker knows an image loaded from a docker-archive by its image ID$/);
    assert.match(await fact('Image ID'), /^sha256:[0-9a-f]{64}$/);
    // an oci-archive has one
    await page.selectOption(tid('dest-layout'), 'oci-archive');
    await page.click(tid('convert'));
    await page.waitForFunction(() => /\.oci-archive\.tar /.test(document.getElementById('download').textContent));
    assert.match(await fact('Digest'), /^sha256:[0-9a-f]{64}$/);
  } finally {
    await context.close();
  }
});

test('errors are said in the user\'s words, the detail behind a toggle', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    const cases = [
      { name: 'notes.txt', data: 'not an image archive\n', summary: /^notes\.txt is not an image archive: it is not a tar file/, detail: /notes\.txt: not a tar archive/ },
      { name: 'random.tar', data: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + (i >> 3)) & 255)), summary: /^random\.tar is not an image archive/, detail: /archive\/tar: invalid tar header/ },
    ];
    for (const c of cases) {
      const p = join(out, c.name);
      writeFileSync(p, c.data);
      await dropFile(page, p);
      await page.waitForSelector(`${tid('error')}:visible`);
      const summary = await page.innerText(tid('error-summary'));
      assert.match(summary, c.summary);
      assert.doesNotMatch(summary, /archive\/tar|unexpected EOF|\w+\/\w+: /, 'no Go package prefixes');
      assert.equal(await page.$eval(tid('error-details'), (d) => d.open), false, 'the detail starts folded');
      assert.equal(await page.isVisible(tid('error-detail')), false);
      await page.click(`${tid('error-details')} summary`);
      assert.equal(await page.isVisible(tid('error-detail')), true);
      assert.match(await page.innerText(tid('error-detail')), c.detail);
    }
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// The page as a person uses it, in headless Chromium: drop a real
// docker-archive, read what it holds, name it, convert to oci-archive,
// download, and check the download with the native CLI (and ctr, when a
// private containerd is running: RETAR_CTR_ADDRESS, set by site/e2e/run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pageSession, tid, foreignRequests, dropFile, retar, fixtures, out, run, stageFiles } from './lib.mjs';

const session = pageSession();

async function download(page, file) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid('download'))]);
  rmSync(file, { force: true });
  await dl.saveAs(file);
  return dl.suggestedFilename();
}

test('drop a docker-archive, name it, convert to oci-archive, download, verify, import', async () => {
  const { context, page, requests, errors } = await session.newPage();
  try {
    // an unnamed docker-archive, as skopeo writes it: the page says what that means
    await dropFile(page, join(fixtures, 'skopeo-docker-archive-unnamed.tar'));
    await page.waitForSelector(`${tid('layers')} tbody tr`, { state: 'attached' });
    const warnings = await page.textContent(tid('warnings'));
    assert.match(warnings, /no name: ctr images import will register nothing from it; fill in Name below/);
    assert.match(await page.innerText(tid('holds')), /^docker-archive: one image with no name, for linux\/amd64, 1\d\.\d KiB\.$/);
    const layers = await page.$$eval(`${tid('layers')} tbody tr`, (rs) => rs.map((r) => r.textContent));
    assert.equal(layers.length, 3, 'two layers and a total');
    assert.match(layers[0], /application\/vnd\.docker\.image\.rootfs\.diff\.tar/);
    assert.match(layers[0], /KiB/);
    assert.match(await page.textContent('#facts'), /docker-archive/);
    assert.match(await page.textContent(tid('images')), /linux\/amd64/);
    // who loads it: ctr registers nothing from an unnamed archive
    await page.waitForSelector(`${tid('loaders')} tbody tr`, { state: 'attached' });
    assert.match(await page.innerText(tid('loads')), /Loads as it is in 8 of 15 loaders\. Not in .*containerd 1\.6\/1\.7/);
    const ctrRow = page.locator(`${tid('loaders')} tr`, { hasText: 'containerd 1.6/1.7' });
    assert.match(await ctrRow.textContent(), /✗ no/);

    // every control has a label (found by it) and the tags hook is the text field
    for (const label of ['Destination layout', 'Name', 'Extra names', 'Manifest format', 'Layer compression', 'Platform']) {
      assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `control labelled ${label}`);
    }
    assert.equal(await page.locator('main input[type=file]:not([webkitdirectory])').count(), 1, 'a plain file input');

    await page.fill(tid('name'), 'example.com/retar/e2e:1');
    await page.fill(tid('tags'), 'example.com/retar/e2e:latest, example.com/retar/e2e:v1  example.com/other/e2e:2');
    await page.selectOption(tid('dest-layout'), 'oci-archive');
    // keyboard: Convert is a button reached and pressed like any other
    await page.focus(tid('convert'));
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${tid('download')}:visible`, { timeout: 60_000 });
    assert.equal(await page.isHidden(tid('error')), true, await page.textContent(tid('error')));
    const prog = await page.$eval(tid('progress'), (p) => [p.value, p.max]);
    assert.equal(prog[0], prog[1], 'progress ends full');
    assert.match(await page.textContent(tid('report')), /example\.com\/retar\/e2e:1/);

    await page.waitForSelector(`${tid('result-loaders')} tbody tr`, { state: 'attached' });
    assert.match(await page.innerText(tid('result-loads')), /^Loads in 8 of 15 → 15 of 15 loaders\./);
    const ctrAfter = page.locator(`${tid('result-loaders')} tr`, { hasText: 'containerd 1.6/1.7' });
    assert.match(await ctrAfter.textContent(), /✓ yes[\s\S]*example\.com\/retar\/e2e:1/);
    const file = join(out, 'page-oci-archive.tar');
    const suggested = await download(page, file);
    assert.equal(suggested, 'skopeo-docker-archive-unnamed.oci-archive.tar');
    await page.screenshot({ path: join(out, 'page.png'), fullPage: true });

    await retar('verify', file);
    const info = JSON.parse((await retar('inspect', `oci-archive:${file}`)).stdout);
    const names = ['example.com/retar/e2e:1', 'example.com/retar/e2e:latest', 'example.com/retar/e2e:v1', 'example.com/other/e2e:2'];
    assert.deepEqual(info.Images[0].Names.slice().sort(), names.slice().sort());
    const index = JSON.parse((await run('tar', ['-xOf', file, 'index.json'])).stdout);
    const annotated = index.manifests.map((m) => m.annotations['io.containerd.image.name']).sort();
    assert.deepEqual(annotated, names.slice().sort(), 'index.json names every image for ctr');

    if (process.env.RETAR_CTR_ADDRESS) {
      const ctr = (...a) => run('ctr', ['--address', process.env.RETAR_CTR_ADDRESS, '-n', 'retar-e2e', ...a]);
      await ctr('images', 'import', file);
      const listed = (await ctr('images', 'ls', '-q')).stdout.split('\n');
      for (const n of names) assert.ok(listed.includes(n), `ctr registered ${n}: ${listed.join(' ')}`);
    }

    assert.deepEqual(foreignRequests(requests, session.server.origin), [], 'no request left the page\'s origin');
    assert.ok(requests.some((u) => u.endsWith('/retar.wasm.gz')), 'the Worker\'s requests are seen too');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('pick a layout folder with the folder input, convert to docker-archive', async () => {
  const { context, page, requests, errors } = await session.newPage();
  try {
    await page.setInputFiles(tid('folder-input'), join(fixtures, 'podman-save-oci-dir'));
    await page.waitForSelector(`${tid('layers')} tbody tr`, { state: 'attached' });
    assert.match(await page.innerText(tid('holds')), /^oci: one image named docker.io\/library\/retar-test:1/);
    await page.selectOption(tid('dest-layout'), 'docker-archive');
    await page.fill(tid('tags'), 'retar-e2e:folder');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('download')}:visible`, { timeout: 60_000 });
    const file = join(out, 'page-folder-docker-archive.tar');
    assert.equal(await download(page, file), 'podman-save-oci-dir.docker-archive.tar');
    await retar('verify', file);
    const info = JSON.parse((await retar('inspect', file)).stdout);
    assert.ok(info.RepoTags.includes('docker.io/library/retar-e2e:folder'), info.RepoTags.join(' '));
    assert.deepEqual(foreignRequests(requests, session.server.origin), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('an archive with two images offers a choice; converting one of them', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    await page.setInputFiles(tid('file-input'), join(fixtures, 'docker-save-two-images.tar'));
    await page.waitForSelector(`${tid('images')} tbody tr >> nth=1`, { state: 'attached' });
    const options = await page.$$eval(`${tid('pick')} option`, (os) => os.map((o) => o.value));
    assert.deepEqual(options, ['', '@0', '@1']);
    await page.selectOption(tid('pick'), '@1');
    await page.waitForFunction(() => document.getElementById('layers-h').textContent === 'Layers of the second image (docker.io/library/retar-test:2)');
    await page.selectOption(tid('dest-layout'), 'dir');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('download')}:visible`, { timeout: 60_000 });
    const file = join(out, 'page-dir.tar');
    await download(page, file);
    const dir = join(out, 'page-dir');
    rmSync(dir, { recursive: true, force: true });
    await run('mkdir', ['-p', dir]);
    await run('tar', ['-xf', file, '-C', dir]);
    await retar('verify', `dir:${dir}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('errors are shown in the page, clearly', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    const notes = join(out, 'notes.txt');
    await run('sh', ['-c', `echo 'not an image archive' > '${notes}'`]);
    await dropFile(page, notes);
    await page.waitForSelector(`${tid('error')}:visible`);
    const msg = await page.textContent(tid('error'));
    assert.match(msg, /notes\.txt/);
    assert.ok(!/internal error|undefined|\[object/.test(msg), msg);
    assert.equal(await page.getAttribute(tid('error'), 'role'), 'alert');
    assert.equal(await page.isHidden('#options'), true);

    // a bad name is refused by the converter, shown at the Name field, and the page recovers
    await page.setInputFiles(tid('file-input'), join(fixtures, 'docker-save-single.tar'));
    await page.waitForSelector(`${tid('layers')} tbody tr`, { state: 'attached' });
    assert.equal(await page.isHidden(tid('error')), true, 'a new source clears the error');
    await page.fill(tid('name'), 'Not A Valid Name');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('name-error')}:visible`);
    assert.match(await page.textContent(tid('name-error')), /Not A Valid Name/);
    assert.equal(await page.isHidden(tid('error')), true, 'at the field, not under the form');
    await page.fill(tid('name'), '');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('download')}:visible`);
    assert.equal(await page.isHidden(tid('error')), true);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the drop zone is reachable and usable from the keyboard', async () => {
  const { context, page } = await session.newPage();
  try {
    // listen first: that turns on Chromium's file chooser interception
    const chosen = new Promise((res) => page.once('filechooser', res));
    await page.waitForTimeout(200);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'drop-zone');
    await page.keyboard.press('Enter');
    const chooser = await chosen;
    assert.equal(chooser.isMultiple(), false);
    await chooser.setFiles(join(fixtures, 'docker-save-single.tar'));
    await page.waitForSelector(`${tid('layers')} tbody tr`, { state: 'attached' });
    // the status and the focus follow the table, a moment later on a busy machine
    await page.waitForFunction(() => /Read docker-save-single\.tar/.test(document.getElementById('status').textContent), null, { timeout: 10000 }).catch(() => {});
    assert.match(await page.textContent('#status'), /Read docker-save-single\.tar/);
    // after reading, focus moves to the first option
    await page.waitForFunction(() => document.activeElement && document.activeElement.dataset.testid === 'dest-layout', null, { timeout: 10000 }).catch(() => {});
    assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'dest-layout');
  } finally {
    await context.close();
  }
});

test('the page loads nothing but its own files', async () => {
  const html = readFileSync(join(out, '..', '..', 'dist', 'index.html'), 'utf8');
  assert.ok(!/(src|href)=["']?(https?:)?\/\//i.test(html), 'no absolute URLs in index.html');
});

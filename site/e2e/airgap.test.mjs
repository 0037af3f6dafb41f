// Updates for a machine without a network: the page lists what archives
// hold (the text `retar digests` prints, byte for byte), makes an update
// from a new archive and that list, or the archives the other machine has
// (the delta `retar convert --since` writes, byte for byte), and rebuilds a
// whole archive from an update and the archives the machine has: the bytes
// `retar convert --base` writes, through the Blob download and through a
// file picked to save into.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageSession, tid, foreignRequests, fixtures, out, retar, sha256, opfsSha256, commandLineWords } from './lib.mjs';

const session = pageSession();
const dir = join(out, 'airgap');
const single = join(fixtures, 'docker-save-single.tar');
const two = join(fixtures, 'docker-save-two-images.tar');
const delta = join(dir, 'update.tar'), whole = join(dir, 'whole.tar'), spoilt = join(dir, 'spoilt.tar');
// what the other machine has, as the list it makes there; the updates the
// command line makes from it, and the new archive converted whole
const haveList = join(dir, 'docker-save-single.digests.txt'), deltaByList = join(dir, 'update-by-list.tar');
const full = join(dir, 'full.tar');

// spoil flips the first byte of the first layer.tar's content: the name
// (its digest) and the size stay.
function spoil(src, dst) {
  const b = Buffer.from(readFileSync(src));
  for (let pos = 0; pos + 512 <= b.length;) {
    const name = b.subarray(pos, pos + 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(b.subarray(pos + 124, pos + 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    if (name.endsWith('layer.tar') && size > 0) {
      b[pos + 512] ^= 0xff;
      writeFileSync(dst, b);
      return;
    }
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${src}: no layer.tar`);
}

before(async () => {
  mkdirSync(dir, { recursive: true });
  await retar('convert', '--since', single, two, delta);
  await retar('convert', '--base', single, delta, whole);
  spoil(single, spoilt);
  writeFileSync(haveList, (await retar('digests', single)).stdout);
  await retar('convert', '--since', haveList, two, deltaByList);
  await retar('convert', two, full);
});

async function downloaded(page, id) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(tid(id))]);
  const p = join(dir, `got-${dl.suggestedFilename()}`);
  await dl.saveAs(p);
  return { name: dl.suggestedFilename(), bytes: readFileSync(p) };
}

// makeWith makes an update in the page: the new archive, and what the
// other machine has.
async function makeWith(page, newer, have) {
  await page.setInputFiles(tid('make-new'), newer);
  await page.setInputFiles(tid('make-have'), have);
  await page.evaluate(() => { document.getElementById('make-status').textContent = ''; });
  await page.click(tid('make'));
  await page.waitForFunction(() => /[^…]$/.test(document.getElementById('make-status').textContent), null, { timeout: 60_000 });
}

async function rebuildWith(page, update, have) {
  await page.setInputFiles(tid('rebuild-update'), update);
  await page.setInputFiles(tid('rebuild-have'), have);
  await page.evaluate(() => { document.getElementById('rebuild-status').textContent = ''; });
  await page.click(tid('rebuild'));
  await page.waitForFunction(() => /[^…]$/.test(document.getElementById('rebuild-status').textContent), null, { timeout: 60_000 });
}

test('what two archives hold: the list retar digests prints, shown and downloaded', async () => {
  const { context, page, requests, errors } = await session.newPage();
  try {
    await page.setInputFiles(tid('holds-input'), [single, two]);
    await page.waitForSelector(`${tid('holds-list')}:visible`, { timeout: 60_000 });
    const cli = (await retar('digests', single, two)).stdout;
    assert.match(cli, /^sha256:[0-9a-f]{64}\n[^]*\ndiff_id sha256:/);
    assert.equal(await page.textContent(tid('holds-list')), cli);
    const got = await downloaded(page, 'holds-download');
    assert.equal(got.name, 'archives.digests.txt');
    assert.equal(got.bytes.toString(), cli);
    assert.match(await page.textContent(tid('holds-status')), /: \d+ digests, 3 layers\.$/);
    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests(requests, session.server.origin), []);
  } finally {
    await context.close();
  }
});

test('rebuild from an update and the archive it was made against: retar convert --base\'s bytes, downloaded', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    assert.ok(readFileSync(delta).length < readFileSync(whole).length);
    await rebuildWith(page, delta, [single]);
    assert.equal(await page.isHidden(tid('rebuild-error')), true, await page.textContent(tid('rebuild-error')));
    const got = await downloaded(page, 'rebuild-download');
    assert.equal(got.name, 'update.whole.tar');
    assert.equal(sha256(got.bytes), sha256(readFileSync(whole)));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('rebuild into a file picked to save into: the same bytes, no download', async () => {
  const { context, page, errors } = await session.newPage({ save: 'opfs' });
  try {
    await rebuildWith(page, delta, [single]);
    assert.match(await page.textContent(tid('rebuild-status')), /^Rebuilt and saved as update\.whole\.tar \(/);
    assert.equal(await page.isHidden(tid('rebuild-download')), true);
    const hex = await opfsSha256(page, 'update.whole.tar');
    assert.equal(hex, sha256(readFileSync(whole)));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('an archive that lacks the left-out layers, or holds a wrong one: the page says which, in its words', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    const other = join(fixtures, 'skopeo-oci-archive-unnamed.tar');
    await rebuildWith(page, delta, [other]);
    let summary = await page.textContent(tid('rebuild-error-summary'));
    assert.match(summary, /^update\.tar is an update that leaves out layer sha256:[0-9a-f]{64} \(\d+ bytes\) and 1 more, which none of the archives you already have holds \(skopeo-oci-archive-unnamed\.tar\): add the archive the update was made against\.$/);
    assert.equal(await page.isHidden(tid('rebuild-download')), true);
    await rebuildWith(page, delta, [spoilt]);
    summary = await page.textContent(tid('rebuild-error-summary'));
    assert.match(summary, /^spoilt\.tar is damaged: the content of /);
    assert.equal(await page.isHidden(tid('rebuild-download')), true);
    const section = await page.textContent('#airgap');
    assert.doesNotMatch(section, commandLineWords);
    assert.doesNotMatch(section, /--(since|base)\b|retar (convert|digests)/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('make an update from the list the other machine made, or from its archive: retar convert --since\'s bytes; rebuilt, the whole archive', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    const wholeBytes = readFileSync(full);
    assert.equal(sha256(readFileSync(whole)), sha256(wholeBytes), 'the command line rebuilds the full conversion');
    for (const [have, cli] of [[haveList, deltaByList], [single, delta]]) {
      await makeWith(page, two, [have]);
      assert.equal(await page.isHidden(tid('make-error')), true, await page.textContent(tid('make-error')));
      const got = await downloaded(page, 'make-download');
      assert.equal(got.name, 'docker-save-two-images.update.tar');
      assert.ok(got.bytes.length < wholeBytes.length, `the update (${got.bytes.length} bytes) is smaller than the whole (${wholeBytes.length})`);
      assert.equal(sha256(got.bytes), sha256(readFileSync(cli)), `made from ${have}`);
      const status = await page.textContent(tid('make-status'));
      assert.match(status, /^Made the update: docker-save-two-images\.update\.tar \([\d.]+ KiB\)\. It leaves out 2 layers the other machine already has: 10\.0 KiB less to carry\.$/);
      // back on the other machine: the update and the archive it has rebuild the whole
      const made = join(dir, `made-from-${have === single ? 'archive' : 'list'}.tar`);
      writeFileSync(made, got.bytes);
      await rebuildWith(page, made, [single]);
      assert.equal(await page.isHidden(tid('rebuild-error')), true, await page.textContent(tid('rebuild-error')));
      const rebuilt = await downloaded(page, 'rebuild-download');
      assert.equal(sha256(rebuilt.bytes), sha256(wholeBytes));
    }
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('make an update into a file picked to save into: the same bytes, no download', async () => {
  const { context, page, errors } = await session.newPage({ save: 'opfs' });
  try {
    await makeWith(page, two, [haveList]);
    assert.match(await page.textContent(tid('make-status')), /^Made the update and saved it as docker-save-two-images\.update\.tar \(.*\)\. It leaves out 2 layers /);
    assert.equal(await page.isHidden(tid('make-download')), true);
    const hex = await opfsSha256(page, 'docker-save-two-images.update.tar');
    assert.equal(hex, sha256(readFileSync(deltaByList)));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a list that is not one, or an archive that is not one: one line in the page\'s words, nothing to download', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    const badList = join(dir, 'bad.digests.txt'), notes = join(dir, 'notes.txt');
    writeFileSync(badList, readFileSync(haveList, 'utf8').replace(/\n(sha256:[0-9a-f]{10})/, '\n$1zz'));
    writeFileSync(notes, 'what the other machine has: ask Sam\n');
    const cases = [
      [two, badList, /^bad\.digests\.txt is not a list of what archives hold: line 2, "sha256:[0-9a-f]{10}zz[0-9a-f]{21}…", is not a digest\. Make the list again on the machine that has the archives\.$/],
      [two, notes, /^notes\.txt is neither a list of what archives hold nor an image archive: it is text, but its first line, "what the other machine has: ask Sam", is not a digest\. /],
      [notes, haveList, /^notes\.txt is not an image archive/],
    ];
    for (const [newer, have, want] of cases) {
      await makeWith(page, newer, [have]);
      assert.equal(await page.textContent(tid('make-status')), 'The update could not be made.');
      const summary = await page.textContent(tid('make-error-summary'));
      assert.match(summary, want);
      assert.doesNotMatch(summary, /\n/);
      assert.equal(await page.isHidden(tid('make-download')), true);
    }
    const section = await page.textContent('#airgap');
    assert.doesNotMatch(section, commandLineWords);
    assert.doesNotMatch(section, /--(since|base)\b|retar (convert|digests)/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// The page at 1280 and at 400 px wide, in headless Chromium: each state
// (first load, a file chosen, converted, an error) is photographed into
// site/e2e/out/layout/ (not committed) and checked for clipping (nothing
// wider than the window or past its right edge; tables reflow or scroll in
// their own box); what the page says, details opened, never names one of
// retar's flags nor an image as @N, across the fixtures' notes and notices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageSession, tid, dropFile, fixtures, repo, out, commandLineWords } from './lib.mjs';

const session = pageSession();
const shots = join(out, 'layout');
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

const docker29 = join(repo, 'golden', 'testdata', 'real-docker29');
const supply = join(repo, 'golden', 'testdata', 'supply');
const unnamed = join(fixtures, 'skopeo-docker-archive-unnamed.tar');
const multiPlatform = join(docker29, 'd29d-save-multiplatform.tar');


async function newPageAt(width) {
  const s = await session.newPage();
  await s.page.setViewportSize({ width, height: 900 });
  return s;
}

// cliWordsIn opens every <details> (the loaders' notes, the digests, an
// error's line) and returns what of the page's text looks like the command
// line, with its line for context; the details are closed again after.
async function cliWordsIn(page) {
  const text = await page.evaluate(() => {
    const closed = [...document.querySelectorAll('details:not([open])')];
    for (const d of closed) d.open = true;
    const t = document.body.innerText;
    for (const d of closed) d.open = false;
    return t;
  });
  return text.split('\n').filter((l) => commandLineWords.test(l));
}

// clipping lists what sticks out: the page wider than the window, an
// element past its left or right edge (outside the boxes that scroll on
// their own), a scroll box itself too wide, and at narrow widths a table
// of cards that does not fit its box.
async function clipping(page) {
  return page.evaluate(() => {
    const W = window.innerWidth;
    const bad = [];
    const de = document.documentElement;
    if (de.scrollWidth > W) bad.push(`the page is ${de.scrollWidth} px wide in a ${W} px window`);
    const scrolls = (e) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
    const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.dataset.testid ? `[${e.dataset.testid}]` : '') +
      (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '');
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered
      let inBox = false;
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) { inBox = true; break; }
      if (inBox) continue;
      if (r.right > W + 0.5 || r.left < -0.5) bad.push(`${describe(e)} spans ${Math.round(r.left)}–${Math.round(r.right)} px`);
    }
    for (const t of document.querySelectorAll('table')) {
      const box = t.closest('.scroll') || t.parentElement;
      if (!box.getClientRects().length) continue;
      const b = box.getBoundingClientRect();
      if (b.right > W + 0.5) bad.push(`the box of table#${t.id} ends at ${Math.round(b.right)} px`);
      if (t.classList.contains('cards') && W <= 640 && t.scrollWidth > box.clientWidth + 0.5) {
        bad.push(`table#${t.id} is ${t.scrollWidth} px wide in its ${box.clientWidth} px box: it does not reflow`);
      }
    }
    for (const f of document.querySelectorAll('form input, form select, form button, form label')) {
      const r = f.getBoundingClientRect();
      if (r.width && r.right > W + 0.5) bad.push(`${describe(f)} of the form ends at ${Math.round(r.right)} px`);
    }
    return bad;
  });
}

// look photographs a state (details folded, as a person first sees it),
// checks it for clipping and for the command line's words, and returns
// the page's height.
async function look(page, width, state, { opened = false } = {}) {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(shots, `${state}-${width}.png`), fullPage: true });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.deepEqual(await clipping(page), [], `${state} at ${width} px: nothing clipped`);
  if (opened) {
    await page.evaluate(() => document.querySelectorAll('details.more').forEach((d) => { d.open = true; }));
    await page.screenshot({ path: join(shots, `${state}-${width}-details.png`), fullPage: true });
    assert.deepEqual(await clipping(page), [], `${state} at ${width} px, details open: nothing clipped`);
    await page.evaluate(() => document.querySelectorAll('details.more').forEach((d) => { d.open = false; }));
  }
  assert.deepEqual(await cliWordsIn(page), [], `${state} at ${width} px: no command-line flags nor @N`);
  return height;
}

const readIt = (page, name) => page.waitForFunction((n) => document.getElementById('status').textContent.startsWith('Read ' + n) &&
  !document.getElementById('loads').hidden, name, { timeout: 60_000 });
const converted = (page) => page.waitForFunction(() => !document.getElementById('result-loads').hidden, null, { timeout: 60_000 });

for (const width of [1280, 400]) {
  test(`at ${width} px: each state photographed, nothing clipped, no command-line words`, async (t) => {
    const { context, page, errors } = await newPageAt(width);
    try {
      const heights = {};
      // first load: what to do first is on top, within the first screen
      await page.waitForFunction(() => /^Ready/.test(document.getElementById('status').textContent));
      heights.first = await look(page, width, 'first');
      const zone = await page.locator(tid('drop-zone')).boundingBox();
      assert.ok(zone.y + zone.height < 700, `the drop zone is on the first screen (ends at ${zone.y + zone.height} px)`);
      const pick = await page.locator('label[for=file-input]').boundingBox();
      assert.ok(pick.y < 600, 'the file picker is on the first screen');

      // a file dragged over the drop zone shows it
      const dt = await page.evaluateHandle(() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'x.tar')); return d; });
      await page.dispatchEvent(tid('drop-zone'), 'dragenter', { dataTransfer: dt });
      const over = await page.$eval(tid('drop-zone'), (z) => {
        const s = getComputedStyle(z);
        return { cls: z.classList.contains('over'), style: s.borderTopStyle, shadow: s.boxShadow, says: z.querySelector('.drop-over').offsetParent !== null };
      });
      assert.deepEqual([over.cls, over.style, over.says], [true, 'solid', true], JSON.stringify(over));
      assert.notEqual(over.shadow, 'none');
      await page.screenshot({ path: join(shots, `drag-over-${width}.png`) });
      await page.dispatchEvent(tid('drop-zone'), 'dragleave', { dataTransfer: dt });
      assert.equal(await page.$eval(tid('drop-zone'), (z) => z.classList.contains('over')), false);

      // a file chosen: an unnamed docker-archive, whose notes say to name it
      await dropFile(page, unnamed);
      await readIt(page, 'skopeo-docker-archive-unnamed.tar');
      heights.chosen = await look(page, width, 'chosen', { opened: true });
      assert.match(await page.innerText(tid('loads')), /^Loads as it is in \d+ of \d+ loaders\. Not in .*containerd 1\.6\/1\.7/);
      assert.equal(await page.$eval(tid('inspect-details'), (d) => d.open), false, 'the loaders\' table starts folded');
      const options = await page.locator('#options').boundingBox();
      const details = await page.locator(tid('inspect-details')).boundingBox();
      assert.ok(details.y < options.y, 'the folded details come before the form');

      // converted: who loads it, before → after, on top of the result
      await page.fill(tid('name'), 'example.com/retar/layout:1');
      await page.click(tid('convert'));
      await converted(page);
      heights.converted = await look(page, width, 'converted', { opened: true });
      assert.match(await page.innerText(tid('result-loads')), /^Loads in \d+ of 15 → 15 of 15 loaders\. Now also in .*containerd 1\.6\/1\.7/);
      const loadsBox = await page.locator(tid('result-loads')).boundingBox();
      const download = await page.locator(tid('download')).boundingBox();
      assert.ok(loadsBox.y < download.y, 'the summary is at the top of the result');

      // an error: a file that is not an archive, in the page's words
      const notes = join(out, 'layout-notes.txt');
      writeFileSync(notes, 'not an image archive\n');
      await dropFile(page, notes);
      await page.waitForSelector(`${tid('error')}:visible`);
      heights.error = await look(page, width, 'error');
      assert.match(await page.innerText(tid('error-summary')), /^layout-notes\.txt is not an image archive: it is not a tar file\. retar reads what docker save, podman save/);

      t.diagnostic(`page heights at ${width} px: ${JSON.stringify(heights)}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}

test('a bad name is shown at the Name field, in the page\'s words', async () => {
  for (const width of [1280, 400]) {
    const { context, page, errors } = await newPageAt(width);
    try {
      await dropFile(page, join(fixtures, 'docker-save-single.tar'));
      await readIt(page, 'docker-save-single.tar');
      await page.fill(tid('name'), 'Not A Valid Name');
      await page.click(tid('convert'));
      await page.waitForSelector(`${tid('name-error')}:visible`);
      assert.equal(await page.isHidden(tid('error')), true, 'not under the form');
      assert.match(await page.innerText(tid('name-error')), /^"Not A Valid Name" is not an image name: write it as/);
      assert.doesNotMatch(await page.innerText('body'), /ref\.name|docker reference/);
      assert.equal(await page.getAttribute(tid('name'), 'aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'name', 'the field is focused');
      const described = (await page.getAttribute(tid('name'), 'aria-describedby')).split(' ');
      assert.ok(described.includes('name-error'), 'the message describes the field');
      await look(page, width, 'bad-name');
      // typing in the field clears it; a good name converts
      await page.fill(tid('name'), 'example.com/ok/name:1');
      assert.equal(await page.isHidden(tid('name-error')), true);
      await page.click(tid('convert'));
      await converted(page);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  }
});

test('several images, several platforms: the page names them, never @N or a flag', async () => {
  const { context, page, errors } = await newPageAt(400);
  try {
    // two images: numbered from 1, and "dir" wants one, said at Image
    await dropFile(page, join(fixtures, 'docker-save-two-images.tar'));
    await readIt(page, 'docker-save-two-images.tar');
    const picks = await page.$$eval(`${tid('pick')} option`, (os) => os.map((o) => o.textContent));
    assert.deepEqual(picks, ['all 2 images', '1: docker.io/library/retar-test:1', '2: docker.io/library/retar-test:2']);
    await page.selectOption(tid('dest-layout'), 'dir');
    await page.click(tid('convert'));
    await page.waitForSelector(`${tid('pick-error')}:visible`);
    assert.match(await page.innerText(tid('pick-error')), /holds 2 images, and a dir layout holds one image: pick one in Image\./);
    await look(page, 400, 'two-images-error');

    // several platforms: the notice says to pick in Platform; all platforms
    // keep an index, whose image ID is one per platform
    await dropFile(page, multiPlatform);
    await readIt(page, 'd29d-save-multiplatform.tar');
    await page.selectOption(tid('dest-layout'), 'docker-archive');
    await page.click(tid('convert'));
    await converted(page);
    assert.match(await page.innerText(tid('result-warnings')), /The image holds several platforms; took linux\/amd64 \(pick another in Platform above\)/);
    await page.getByRole('link', { name: 'Platform', exact: true }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'platform');
    await look(page, 400, 'multi-platform', { opened: true });
    await page.selectOption(tid('dest-layout'), 'oci-archive');
    await page.selectOption(tid('platform'), '*');
    await page.click(tid('convert'));
    await page.waitForFunction(() => /\.oci-archive\.tar /.test(document.getElementById('download').textContent));
    await converted(page);
    const id = await page.$$eval(`${tid('result-digests')} dt`, (dts) => dts.find((d) => d.textContent === 'Image ID').nextElementSibling.textContent);
    assert.match(id, /^one per platform/);
    await look(page, 400, 'all-platforms', { opened: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// Every fixture's notes (who loads it, and why not) and the notices of its
// conversions, as the page shows them: none names a flag or @N.
test('the fixtures\' notes and notices are in the page\'s words', async () => {
  const inputs = [
    ...['skopeo-docker-archive-unnamed.tar', 'skopeo-oci-archive-unnamed.tar', 'docker-save-two-tags.tar', 'docker-save-by-id.tar',
      'ctr-export-two-images.tar', 'podman-save-multi.tar', 'skopeo-oci-archive-named.tar'].map((f) => join(fixtures, f)),
    ...['d29d-save-multiplatform.tar', 'd29d-save-absent.tar', 'd29c-save-two-images.tar', 'd29d-save-by-id.tar'].map((f) => join(docker29, f)),
    ...['signed.tar', 'buildkit-attestations.tar', 'mislabelled.tar', 'v2s2-oci-zstd.tar', 'zstd-chunked.tar'].map((f) => join(supply, f)),
  ];
  const { context, page, errors } = await newPageAt(1280);
  try {
    const state = () => page.evaluate(() => document.getElementById('status').textContent);
    for (const p of inputs) {
      const name = p.split('/').pop();
      await dropFile(page, p);
      await readIt(page, name).catch(async (err) => { throw new Error(`${name}: not read (${await state()}): ${err.message}`); });
      assert.deepEqual(await cliWordsIn(page), [], `${name}: what it holds`);
      for (const to of ['docker-archive', 'oci-archive', 'dir']) {
        await page.selectOption(tid('dest-layout'), to);
        const many = await page.$eval(tid('pick'), (s) => !s.hidden);
        if (many && to === 'dir') await page.selectOption(tid('pick'), '@1');
        await page.click(tid('convert'));
        await page.waitForFunction(() => !document.getElementById('result-loads').hidden || !document.getElementById('error').hidden ||
          document.querySelector('.field-error:not([hidden])'), null, { timeout: 60_000 })
          .catch(async (err) => { throw new Error(`${name} → ${to}: no result (${await state()}): ${err.message}`); });
        assert.deepEqual(await cliWordsIn(page), [], `${name} → ${to}`);
        if (many) await page.selectOption(tid('pick'), '');
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the file pickers are buttons the keyboard reaches and opens', async () => {
  const { context, page } = await newPageAt(1280);
  try {
    for (const id of ['file-input', 'folder-input']) {
      const look = await page.evaluate((id) => {
        const input = document.getElementById(id);
        const label = document.querySelector(`label[for=${id}]`);
        const r = input.getBoundingClientRect();
        const s = getComputedStyle(label);
        return { hidden: r.width <= 1 && r.height <= 1, display: getComputedStyle(input).display, radius: s.borderTopLeftRadius, border: s.borderTopStyle, text: label.textContent };
      }, id);
      assert.equal(look.hidden, true, `${id} is visually hidden`);
      assert.notEqual(look.display, 'none', `${id} stays focusable`);
      assert.notEqual(look.radius, '0px', `${id}'s label is a button`);
      assert.equal(look.border, 'solid');
      assert.match(look.text, /^Choose an? (archive|layout folder)…$/);
    }
    const chosen = new Promise((res) => page.once('filechooser', res));
    await page.waitForTimeout(200);
    await page.keyboard.press('Tab'); // the drop zone
    await page.keyboard.press('Tab'); // the archive picker
    assert.equal(await page.evaluate(() => document.activeElement.id), 'file-input');
    const ring = await page.$eval('label[for=file-input]', (l) => getComputedStyle(l).outlineStyle);
    assert.equal(ring, 'solid', 'the focused picker shows it');
    await page.keyboard.press('Space');
    const chooser = await chosen;
    await chooser.setFiles(join(fixtures, 'docker-save-single.tar'));
    await readIt(page, 'docker-save-single.tar');
  } finally {
    await context.close();
  }
});

// Compare mode: drop two archives on the page and read retar diff's report,
// the same text the native CLI prints for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { pageSession, tid, foreignRequests, fixtures, retarBin, stageFiles } from './lib.mjs';

const session = pageSession();
const exec = promisify(execFile);

// cliDiff is what `retar diff A B` prints, run beside the fixtures so that
// it names them as the page does, by file name; and its exit status.
async function cliDiff(...args) {
  try {
    const { stdout } = await exec(retarBin, ['diff', ...args], { cwd: fixtures });
    return { stdout, code: 0 };
  } catch (err) {
    if (err.code !== 1) throw err;
    return { stdout: err.stdout, code: 1 };
  }
}

// dropTwo drops two files, in order, on the compare zone.
async function dropTwo(page, a, b) {
  const sa = await stageFiles(page, join(fixtures, a), 'e2e-stage-a');
  const sb = await stageFiles(page, join(fixtures, b), 'e2e-stage-b');
  const dt = await page.evaluateHandle(([sa, sb]) => {
    const dt = new DataTransfer();
    dt.items.add(document.querySelector(sa).files[0]);
    dt.items.add(document.querySelector(sb).files[0]);
    return dt;
  }, [sa, sb]);
  for (const ev of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent(tid('compare-zone'), ev, { dataTransfer: dt });
}

test('drop docker save and skopeo oci-archive of one image: same content, different packaging, as the CLI says', async () => {
  const { context, page, requests, errors } = await session.newPage();
  try {
    await dropTwo(page, 'docker-save-single.tar', 'skopeo-oci-archive-named.tar');
    await page.waitForSelector(`${tid('compare-report')}:visible`, { timeout: 60_000 });
    const shown = await page.textContent(tid('compare-report'));
    const cli = await cliDiff('docker-save-single.tar', 'skopeo-oci-archive-named.tar');
    assert.equal(cli.code, 1);
    assert.equal(shown, cli.stdout);
    assert.match(shown, /same content, different packaging/);
    assert.match(await page.textContent(tid('compare-status')), /^A and B differ: delta A→B: 3 blobs\.$/);
    assert.deepEqual(errors, []);
    assert.deepEqual(foreignRequests(requests, session.server.origin), []);
  } finally {
    await context.close();
  }
});

test('pick two archives, files too: the file-level diff of an image and the next', async () => {
  const { context, page, errors } = await session.newPage();
  try {
    await page.check(tid('compare-files'));
    await page.setInputFiles(tid('compare-input'), [join(fixtures, 'docker-save-single.tar'), join(fixtures, 'ctr-export-from-docker-archive.tar')]);
    await page.waitForSelector(`${tid('compare-report')}:visible`, { timeout: 60_000 });
    const shown = await page.textContent(tid('compare-report'));
    assert.equal(shown, (await cliDiff('--files', 'docker-save-single.tar', 'ctr-export-from-docker-archive.tar')).stdout);
    assert.match(shown, /\+ etc\/image-b\.txt/);
    // one archive is not a comparison
    await page.setInputFiles(tid('compare-input'), [join(fixtures, 'docker-save-single.tar')]);
    assert.match(await page.textContent(tid('compare-status')), /^Drop two archives to compare \(one was given\)\.$/);
    assert.equal(await page.isHidden(tid('compare-report')), true);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

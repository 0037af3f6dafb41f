// Helpers for the end-to-end tests: the static server, Debian's Chromium
// through playwright-core, the native retar CLI, and request bookkeeping.
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const site = resolve(here, '..');
export const dist = process.env.RETAR_DIST || join(site, 'dist');
export const out = join(here, 'out');
export const fixtures = join(repo, 'golden', 'testdata', 'real');
export const retarBin = process.env.RETAR_BIN || join(repo, 'retar');
mkdirSync(out, { recursive: true });

const run = promisify(execFile);

// startServer runs site/serve (RETAR_SERVE, built by site/e2e/run.sh; else
// `go run`) on 127.0.0.1 with a free port.
export async function startServer(dir = dist) {
  const args = ['-dir', dir, '-addr', '127.0.0.1:0', '-q'];
  const child = process.env.RETAR_SERVE
    ? spawn(process.env.RETAR_SERVE, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn('go', ['run', './site/serve', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => child.kill('SIGTERM');
  process.on('exit', stop); // never outlive the tests, even when they crash
  const url = await new Promise((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error('site/serve did not start in 60 s')), 60_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/on (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) { clearTimeout(timer); res(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); rej(new Error(`site/serve exited with ${code}`)); });
  });
  return { url, origin: new URL(url).origin, close: () => { process.off('exit', stop); stop(); } };
}

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// Flags for Chromium on these machines (no sandbox as root, no GPU, nothing
// in the background), and a resolver that knows no host but loopback: any
// request that tried to leave would fail, and is recorded anyway.
export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export async function launch() {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

// launchPersistent starts Chromium with a profile of its own (in dir), as
// a person's browser is: what an incognito context cannot do (installing
// the page) can be checked there.
export async function launchPersistent(dir) {
  return chromium.launchPersistentContext(dir, { executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

// The save dialog (showSaveFilePicker) needs a person: it waits for a click
// in a dialog that headless Chromium never shows. Pages for tests have it
// removed, as in a browser without the File System Access API (Firefox,
// Safari), so the page keeps its result for the Download link; or, with
// {save: 'opfs'}, answered by a stand-in that picks a file of the
// origin-private file system, named as suggested (or window.e2eSaveAs),
// and records each call in window.e2eSaves. window.e2eSaveCancel makes it
// answer as a person closing the dialog does (an AbortError). The page's
// own code is the same either way: a real FileSystemFileHandle whose
// writable stream writes a swap file and puts it in place on close().
function withoutSaveDialog() {
  delete window.showSaveFilePicker;
  delete Window.prototype.showSaveFilePicker;
}
function saveDialogToOPFS() {
  window.e2eSaves = [];
  window.showSaveFilePicker = async (opts = {}) => {
    window.e2eSaves.push(opts);
    if (window.e2eSaveCancel) throw new DOMException('The user aborted a request.', 'AbortError');
    const root = await navigator.storage.getDirectory();
    return root.getFileHandle(window.e2eSaveAs || opts.suggestedName || 'untitled.tar', { create: true });
  };
}

// newPage opens the page in a fresh context, recording every request made
// by the page and its Worker, and every console error; opts.save: 'opfs'
// has the save dialog pick files of the origin-private file system (see
// above), else the page has none; opts.retarOptions are the page's retar's
// (retar.js: window.retarOptions).
export async function newPage(browser, server, opts = {}) {
  return newPageIn(await browser.newContext({ acceptDownloads: true }), server, opts);
}

// newPageIn does what newPage does in a context made elsewhere (one with a
// profile of its own, from launchPersistent).
export async function newPageIn(context, server, opts = {}) {
  await context.addInitScript(opts.save === 'opfs' ? saveDialogToOPFS : withoutSaveDialog);
  if (opts.retarOptions) await context.addInitScript((o) => { window.retarOptions = o; }, opts.retarOptions);
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push('worker: ' + m.text()); }));
  await page.goto(server.url);
  await page.waitForFunction(() => window.retar && window.retar.version, null, { timeout: 60_000 });
  return { context, page, requests, errors };
}

// pageSession starts the static server and Chromium before a test file's
// tests and stops them after; its newPage opens the page in them.
export function pageSession() {
  const s = { newPage: (opts) => newPage(s.browser, s.server, opts) };
  before(async () => {
    s.server = await startServer();
    s.browser = await launch();
  });
  after(async () => {
    await s.browser?.close();
    s.server?.close();
  });
  return s;
}

// commandLineWords finds what the page must never say: one of retar's
// flags, as a person reads them, or an image picked by number ("@0").
export const commandLineWords = /(^|\s|\()(-t|--(tag|platform|for|compress|format|all-platforms|attestations|keep-absent|oci-strict|force|max-expansion|max-expanded))\b|@\d/m;

// tid selects an element of the page by its data-testid.
export const tid = (id) => `[data-testid=${id}]`;

// foreignRequests lists the requests that left the page's origin
// (blob: and data: URLs are the page's own).
export function foreignRequests(requests, origin) {
  return requests.filter((u) => !(u.startsWith(origin + '/') || u.startsWith('blob:' + origin + '/') || u.startsWith('data:')));
}

// stageFiles makes real, disk-backed Files in the page from local paths
// (through a file input kept out of the page's own UI) and returns a handle
// to the staging input. A folder path stages the folder's files, with
// webkitRelativePath, as <input webkitdirectory> gives them.
export async function stageFiles(page, path, id = 'e2e-stage') {
  const dir = statSync(path).isDirectory();
  await page.evaluate(({ id, dir }) => {
    document.getElementById(id)?.remove();
    const i = document.createElement('input');
    i.type = 'file';
    i.id = id;
    i.hidden = true;
    if (dir) i.webkitdirectory = true;
    document.body.append(i);
  }, { id, dir });
  await page.setInputFiles('#' + id, path);
  return '#' + id;
}

// dropFile drops a real File on the drop zone with a DataTransfer, as a
// user's drag and drop does.
export async function dropFile(page, path) {
  const sel = await stageFiles(page, path);
  const dt = await page.evaluateHandle((sel) => {
    const dt = new DataTransfer();
    for (const f of document.querySelector(sel).files) dt.items.add(f);
    return dt;
  }, sel);
  await page.dispatchEvent('[data-testid=drop-zone]', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('[data-testid=drop-zone]', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('[data-testid=drop-zone]', 'drop', { dataTransfer: dt });
}

// bigArchive writes (once) a docker-archive of two generated layers of
// mib MiB in all (scripts/genimage; RETAR_GENIMAGE, built by run.sh, or
// `go run`), for what takes a person seconds to watch.
export async function bigArchive(mib) {
  const p = join(out, `big-${mib}.tar`);
  try { if (statSync(p).size > mib * 1048576) return p; } catch { /* not yet */ }
  const args = ['-size', String(mib), '-layers', '2', '-o', p];
  if (process.env.RETAR_GENIMAGE) await run(process.env.RETAR_GENIMAGE, args);
  else await run('go', ['run', './scripts/genimage', ...args], { cwd: repo });
  return p;
}

export async function retar(...args) {
  try {
    return await run(retarBin, args, { maxBuffer: 64 << 20, env: { ...process.env, SOURCE_DATE_EPOCH: '' } });
  } catch (err) {
    throw new Error(`retar ${args.join(' ')} failed (${err.code}): ${err.stderr || err.message}`);
  }
}

export async function tarExtract(file, dir) {
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-xf', file, '-C', dir]);
}

export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// opfsSha256 is the SHA-256 (hex) of a file the page saved into its
// origin-private file system (what a save dialog's file is in the tests).
export const opfsSha256 = (page, name) => page.evaluate(async (name) => {
  const f = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile();
  return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await f.arrayBuffer())), (x) => x.toString(16).padStart(2, '0')).join('');
}, name);

// treeDigest maps each file under dir to its sha256.
export function treeDigest(dir) {
  const m = {};
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else m[relative(dir, p)] = sha256(readFileSync(p));
    }
  };
  walk(dir);
  return m;
}

export { run };

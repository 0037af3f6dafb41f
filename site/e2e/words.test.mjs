// The page's words (site/src/words.js), under Node: what the core says for
// the command line (check's notes, inspect's and convert's notices) said in
// the page's terms. Every note and notice the native CLI gives for the
// fixtures is translated, and none keeps a flag or an "@N".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { site, repo, retarBin, run, commandLineWords } from './lib.mjs';

const sandbox = {};
vm.runInNewContext(readFileSync(join(site, 'src', 'words.js'), 'utf8'), sandbox);
const words = sandbox.pageWords;

const one = [{ Names: [], Digest: 'sha256:' + 'a'.repeat(64) }];
const two = [{ Names: ['docker.io/library/app:1'], Digest: 'sha256:' + 'b'.repeat(64) }, { Names: [], Digest: '' }];

test('the command line\'s advice is said with the page\'s fields', () => {
  for (const [message, ctx, want] of [
    ['an image without a name: ctr registers nothing for it, with exit status 0; give one with retar convert -t NAME', {},
      'An image without a name: ctr registers nothing for it, with exit status 0; fill in Name below'],
    ['named only by the tag "x": registered as "x"; give a full name with retar convert -t NAME', { where: 'above' },
      'Named only by the tag "x": registered as "x"; fill in a full name in Name above'],
    ['image @0 has no name: ctr images import will register nothing from it; give one with -t NAME', { images: two, where: 'above' },
      'The first image (docker.io/library/app:1) has no name: ctr images import will register nothing from it; fill in Name above'],
    ['image @1 has no name: ctr images import will register nothing from it', { images: two },
      'The second image has no name: ctr images import will register nothing from it; fill in Name below'],
    ['image @0 has no name: ctr images import will register nothing from it', { images: one },
      'The image has no name: ctr images import will register nothing from it; fill in Name below'],
    [`sha256:${'a'.repeat(64)} holds several platforms; took linux/amd64 (choose with --platform)`, { images: one, where: 'above' },
      'The image holds several platforms; took linux/amd64 (pick another in Platform above)'],
    [`image sha256:${'b'.repeat(64)} has zstd layers: docker load before 23.0 cannot read them`, { images: two },
      'The first image (docker.io/library/app:1) has zstd layers: docker load before 23.0 cannot read them'],
    [`layer sha256:${'c'.repeat(64)} is zstd, which docker load before 23.0 cannot read: re-encoded to gzip as sha256:${'d'.repeat(64)} (--compress keep keeps it)`, { short: true },
      'Layer sha256:cccccccccccc… is zstd, which docker load before 23.0 cannot read: re-encoded to gzip as sha256:dddddddddddd… ("keep" in Layer compression keeps it)'],
    ['a directory: docker load reads an archive; tar it, or retar convert it to a docker-archive', {},
      'A directory: docker load reads an archive; tar it, or convert it to a docker-archive here'],
    ['k3s picks up agent/images files by name', {}, 'k3s picks up agent/images files by name'],
    ['--format has no effect on a docker-archive, which stores no manifest', {}, 'Manifest format has no effect on a docker-archive, which stores no manifest'],
    [`sha256:${'e'.repeat(64)}: docker's manifest.json lists linux/amd64; the index keeps every platform`, { images: one },
      'Every platform kept in the index; docker\'s manifest.json, which docker load reads, lists linux/amd64'],
  ]) {
    assert.equal(words.text(message, ctx), want);
  }
  // check's notes in the page's words (facts[].page) say where the form is
  assert.equal(words.text('an image without a name: nothing is registered for it; fill in [[name:Name]] {where}', { where: 'above' }),
    'An image without a name: nothing is registered for it; fill in Name above');
  // the page's fields come out as pieces it links to them
  const parts = words.parts('an image without a name: k3s imports nothing for it; give one with retar convert -t NAME', {});
  assert.deepEqual(JSON.parse(JSON.stringify(parts)), ['An image without a name: k3s imports nothing for it; fill in ', { field: 'name', text: 'Name' }, ' below']);
});

// fixtures lists the archives and layouts the CLI is run on, as it reads
// them (oci: and dir: for folders).
function fixtures() {
  const out = [];
  for (const d of ['real', 'real-docker29', 'supply']) {
    const dir = join(repo, 'golden', 'testdata', d);
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (f.endsWith('.md')) continue;
      if (statSync(p).isDirectory()) out.push((readdirSync(p).includes('oci-layout') ? 'oci:' : 'dir:') + p);
      else out.push(p);
    }
  }
  return out;
}

test('every note and notice the CLI gives for the fixtures is said without its flags', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'retar-words-'));
  const said = new Set();
  try {
    for (const src of fixtures()) {
      const info = JSON.parse((await run(retarBin, ['inspect', src])).stdout);
      const messages = [...(info.Warnings || [])];
      const report = JSON.parse((await run(retarBin, ['check', '--json', src])).stdout);
      // check's notes as the page shows them: the core's page words
      for (const v of report.consumers) {
        for (const f of v.facts) {
          assert.doesNotMatch(f.page.replace(/@\d+/g, ''), commandLineWords, `${src}: ${v.consumer}: ${JSON.stringify(f.page)} names a flag`);
          messages.push(f.page);
        }
      }
      for (const to of ['docker-archive', 'oci-archive', 'oci', 'dir']) {
        for (const flags of [[], ['--all-platforms']]) {
          const dst = join(tmp, 'out');
          rmSync(dst, { recursive: true, force: true });
          const r = await run(retarBin, ['convert', ...flags, src, `${to}:${dst}`]).catch((err) => err);
          for (const line of String(r.stderr || '').split('\n')) {
            const m = line.match(/^retar: notice: (.*)$/);
            if (m) messages.push(m[1]);
          }
        }
      }
      for (const message of messages) {
        for (const where of ['below', 'above']) {
          const text = words.text(message, { images: info.Images, where, short: true });
          assert.doesNotMatch(text, commandLineWords, `${src}: ${JSON.stringify(message)} is said as ${JSON.stringify(text)}`);
          said.add(message);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const flagged = [...said].filter((m) => commandLineWords.test(m));
  assert.ok(flagged.length >= 10, `the fixtures gave ${flagged.length} messages with flags to translate`);
});

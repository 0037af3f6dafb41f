// The page's words for what the core says. check's notes on each loader
// come in the page's words already (facts[].page, from the core's one table
// of what the command line and the page say, check/say.go), with its
// fields marked and {where} for where the form is; errors come with their
// summary (wasm/errors.go). The notices of inspect and convert are written
// for the command line: they name its flags (-t NAME, --platform), pick
// images as @N and say "retar convert". The page has fields for all of
// that, so it says the same things in their terms:
// pageWords.text(message, ctx) gives the sentence, pageWords.parts(message,
// ctx) the same split into text and {field, text} pieces the page links to
// its fields. ctx: {images: inspect's Images (to name image @N), where:
// 'below' or 'above' (where the form is, from the text), short: digests
// cut to 12 digits (the page's details have them whole)}.
//
// Plain functions of strings, so site/e2e/words.test.mjs runs them under
// Node on every note and notice the CLI gives for the test fixtures.
(function (global) {
  'use strict';

  const ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

  // imageLabel names image i of a source as the page does: "the image"
  // when there is one, else "the second image (its name)".
  const nth = (i) => (i < ordinals.length ? `the ${ordinals[i]} image` : `image ${i + 1}`);
  function imageLabel(i, images) {
    if (!images || images.length <= 1) return 'the image';
    const name = images[i] && images[i].Names && images[i].Names[0];
    return name ? `${nth(i)} (${name})` : nth(i);
  }

  // A field of the page, marked in a sentence: [[name:Name]].
  const field = (id, text) => `[[${id}:${text}]]`;
  const NAME = field('name', 'Name');
  const PLATFORM = field('platform', 'Platform');
  const FORMAT = field('format', 'Manifest format');
  const COMPRESS = field('compress', 'Layer compression');
  const IMAGE = field('pick', 'Image');

  // What the CLI says, and what the page says instead, in order: the
  // specific sentences first, then what is left of "retar convert", then
  // images by number and digests, then any flag still there.
  const rules = [
    // check's page words (facts[].page) say where the form is as {where}
    [/\{where\}/g, (c) => c.where],
    // names: convert's notices (and an older retar.wasm's check notes)
    [/give (?:it )?a full name with (?:retar convert )?-t NAME(?:,? or DST:NAME)?/g, (c) => `fill in a full name in ${NAME} ${c.where}`],
    [/give (?:it )?(?:one|a name) with (?:retar convert )?-t NAME(?:,? or DST:NAME)?/g, (c) => `fill in ${NAME} ${c.where}`],
    [/(has no name: ctr images import will register nothing from it)$/, (c, said) => `${said}; fill in ${NAME} ${c.where}`],
    // platforms: the CLI's, and ctr's and nerdctl's options of the same name
    [/\(choose with --platform\)/g, (c) => `(pick another in ${PLATFORM} ${c.where})`],
    [/choose one with --platform/g, () => `pick one in ${PLATFORM}`],
    [/^--all-platforms: /, () => 'With all platforms kept: '],
    [/imports with --all-platforms/g, () => 'imports every platform'],
    [/needs no --all-platforms/g, () => 'needs no all-platforms option'],
    // format, compression, attestations, absent entries
    [/^--format has no effect/, () => `${FORMAT} has no effect`],
    [/\(--format v2s2 keeps Docker's family\)/g, () => `(Docker v2 schema 2 in ${FORMAT} keeps Docker's family)`],
    [/as --format v2s2 asks/g, () => `as ${FORMAT} asks`],
    [/\(--compress keep keeps it\)/g, () => `("keep" in ${COMPRESS} keeps it)`],
    [/ \(--attestations strip\)/g, () => ''],
    [/ \(--keep-absent keeps it\)/g, () => ''],
    [/ \(--keep-absent\)/g, () => ''],
    // picking one image of several
    [/pick (?:it|one) with :@N(?: or :NAME)?(?: \([^)]*\))?/g, () => `pick one in ${IMAGE}`],
    // what is left of "retar convert"
    [/retar convert it to (an? [\w-]+)/g, (c, what) => `convert it to ${what} here`],
    [/retar convert to (an? [\w-]+)/g, (c, what) => `converting it to ${what} here`],
    [/\(retar convert\)/g, () => '(made here)'],
    [/retar convert (rebuilds|leaves|writes|re-encodes)/g, (c, verb) => `converting it here ${verb}`],
    [/retar convert it/g, () => 'convert it here'],
    [/retar convert/g, () => 'converting it here'],
    // images by number, and the digests of the source's images
    [/\bimage @(\d+)/g, (c, n) => imageLabel(Number(n), c.images)],
    [/(^|[\s(])@(\d+)\b/g, (c, pre, n) => pre + imageLabel(Number(n), c.images)],
    [/(^|\bimage )(sha256:[0-9a-f]{64})/g, (c, pre, d) => {
      const i = (c.images || []).findIndex((im) => im.Digest === d);
      return i >= 0 ? imageLabel(i, c.images) : pre + d;
    }],
    // a notice about the one image of a source, by a digest the conversion
    // gave it (its index rewritten): still the image
    [/^sha256:[0-9a-f]{64}: docker's manifest\.json lists ([^;]+); the index keeps every platform/, (c, p) => (
      `every platform kept in the index; docker's manifest.json, which docker load reads, lists ${p}`)],
    [/^sha256:[0-9a-f]{64}(?= holds several platforms)/, (c) => (
      (c.images || []).length <= 1 ? 'the image' : c.match)],
    // any flag still there: the page's field for it
    [/(^|[\s(])-t NAME\b/g, (c, pre) => pre + NAME],
    [/(^|[\s(])(?:-t|--tag)\b/g, (c, pre) => pre + field('tags', 'Extra names')],
    [/(^|[\s(])--all-platforms\b/g, (c, pre) => `${pre}all platforms (in ${PLATFORM})`],
    [/(^|[\s(])--platform\b/g, (c, pre) => pre + PLATFORM],
    [/(^|[\s(])--format\b/g, (c, pre) => pre + FORMAT],
    [/(^|[\s(])--compress\b/g, (c, pre) => pre + COMPRESS],
    [/(^|[\s(])--for\b/g, (c, pre) => `${pre}for the loaders asked for`],
    [/(^|[\s(])--attestations\b/g, (c, pre) => `${pre}attestations`],
    [/(^|[\s(])--keep-absent\b/g, (c, pre) => `${pre}keeping absent entries`],
    [/(^|[\s(])--oci-strict\b/g, (c, pre) => `${pre}strict OCI`],
    [/(^|[\s(])--force\b/g, (c, pre) => `${pre}replacing what is there`],
    [/(^|[\s(])--max-expan(?:sion|ded)\b/g, (c, pre) => `${pre}the size limit`],
  ];

  function marked(message, ctx) {
    const c = { images: [], where: 'below', ...ctx };
    let s = String(message == null ? '' : message);
    for (const [re, to] of rules) s = s.replace(re, (match, ...groups) => to({ ...c, match }, ...groups));
    // digests shortened where the page shows the whole ones in its details
    if (c.short) s = s.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…');
    // a sentence starts with a capital, but not a name that starts it (k3s,
    // index.json, zstd:chunked, sha256:…)
    return /^[a-z]+ /.test(s) ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  }

  const marker = /\[\[(\w+):([^\]]+)\]\]/g;

  // text: the message in the page's words.
  function text(message, ctx) {
    return marked(message, ctx).replace(marker, '$2');
  }

  // parts: the same, as strings and {field, text} for the page's fields.
  function parts(message, ctx) {
    const s = marked(message, ctx);
    const out = [];
    let last = 0;
    for (const m of s.matchAll(marker)) {
      if (m.index > last) out.push(s.slice(last, m.index));
      out.push({ field: m[1], text: m[2] });
      last = m.index + m[0].length;
    }
    if (last < s.length) out.push(s.slice(last));
    return out;
  }

  // cliWords finds what the page must never show: one of retar's flags, or
  // an image picked by number (@0).
  const cliWords = /(^|\s|\()(?:-t|--(?:tag|platform|for|compress|format|all-platforms|attestations|keep-absent|oci-strict|force|max-expansion|max-expanded))\b|@\d/;

  global.pageWords = { text, parts, imageLabel, nth, cliWords };
})(typeof self !== 'undefined' ? self : globalThis);

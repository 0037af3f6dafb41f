// The page: a drop zone and pickers, what the source holds, options,
// Convert with progress, download. All work is done by retar.js's Worker.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const el = {
    drop: $('drop-zone'), file: $('file-input'), folder: $('folder-input'), status: $('status'),
    inspect: $('inspect'), facts: $('facts'), warnings: $('warnings'), images: $('images').tBodies[0],
    layers: $('layers').tBodies[0], layersH: $('layers-h'),
    options: $('options'), form: $('convert-form'), dest: $('dest-layout'), pick: $('pick'), name: $('name'),
    tags: $('tags'), format: $('format'), compress: $('compress'), platform: $('platform'),
    convert: $('convert'), cancel: $('cancel'), progress: $('progress'), progressText: $('progress-text'),
    error: $('error'), result: $('result'), download: $('download'), saveFolder: $('save-folder'),
    resultFacts: $('result-facts'), resultWarnings: $('result-warnings'), version: $('version'),
  };

  let source = null;      // what the user dropped or picked (retar input)
  let info = null;        // its inspection
  let busy = null;        // AbortController of the running call
  let ready = false;
  let result = null;      // {blob, name, report, to}
  let objectURL = null;

  // ---- helpers ----
  function fmtBytes(n) {
    if (!(n >= 0)) return '';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + u[i];
  }
  function node(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
      }
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  function mono(s, title) { return node('span', { class: 'mono', title: title || s }, s); }
  function short(d) { return d && d.length > 19 ? d.slice(0, 19) + '…' : (d || ''); }
  function setFacts(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) {
      if (v == null || v === '') continue;
      dl.append(node('dt', { text: k }), node('dd', null, v));
    }
  }
  function setWarnings(ul, list) {
    ul.replaceChildren(...(list || []).map((w) => node('li', { text: w })));
  }
  function status(msg, ok) {
    el.status.textContent = msg;
    el.status.classList.toggle('ok', !!ok);
  }
  function showError(err) {
    if (!err) { el.error.hidden = true; el.error.textContent = ''; return; }
    const msg = (err && err.message) || String(err);
    el.error.textContent = msg;
    el.error.hidden = false;
  }
  // setProgress shows a phase's bytes and its speed; each phase (verifying,
  // re-encoding, writing) fills the bar once.
  const phaseClock = { phase: undefined, t: 0 };
  function setProgress(done, total, phase) {
    if (phase !== phaseClock.phase) { phaseClock.phase = phase; phaseClock.t = performance.now(); }
    if (total > 0) { el.progress.max = total; el.progress.value = Math.min(done, total); } else { el.progress.removeAttribute('value'); }
    let text = phase ? phase[0].toUpperCase() + phase.slice(1) : '';
    if (total > 0) text += `: ${fmtBytes(done)} of ${fmtBytes(total)} (${Math.floor(100 * done / total)}%)`;
    const secs = (performance.now() - phaseClock.t) / 1000;
    if (secs > 0.5 && done > 0) text += `, ${(done / secs / 1e6).toFixed(0)} MB/s`;
    el.progressText.textContent = text;
  }
  function resetProgress(text) {
    el.progress.max = 1; el.progress.value = 0;
    phaseClock.phase = undefined;
    el.progressText.textContent = text || '';
  }
  function clearResult() {
    result = null;
    if (objectURL) { URL.revokeObjectURL(objectURL); objectURL = null; }
    el.result.hidden = true;
    el.download.setAttribute('href', '#');
    el.download.removeAttribute('download');
  }
  function setBusy(ac) {
    busy = ac;
    el.convert.disabled = !!ac || !ready || !info;
    el.cancel.hidden = !ac;
    el.file.disabled = el.folder.disabled = !!ac;
    el.drop.setAttribute('aria-busy', ac ? 'true' : 'false');
  }
  const parseNames = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

  // ---- start ----
  retar.ready.then(
    () => {
      ready = true;
      el.version.textContent = `(${retar.version}; sha256 by ${retar.hasher})`;
      status('Ready: drop an archive or a layout folder, or pick one.');
      setBusy(busy);
    },
    (err) => { status('retar could not start.'); showError(err); },
  );

  // ---- choosing a source ----
  el.file.addEventListener('change', () => {
    if (el.file.files.length) choose(el.file.files[0]);
  });
  el.folder.addEventListener('change', () => {
    if (el.folder.files.length) choose(Array.from(el.folder.files));
  });
  el.drop.addEventListener('keydown', (ev) => {
    if (ev.target === el.drop && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); el.file.click(); }
  });
  for (const t of ['dragenter', 'dragover']) {
    el.drop.addEventListener(t, (ev) => {
      ev.preventDefault();
      if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy';
      el.drop.classList.add('over');
    });
  }
  el.drop.addEventListener('dragleave', (ev) => {
    if (!el.drop.contains(ev.relatedTarget)) el.drop.classList.remove('over');
  });
  // Dropping outside the zone must not navigate away from the page.
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());
  el.drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    el.drop.classList.remove('over');
    if (busy) return;
    const dt = ev.dataTransfer;
    if (!dt) return;
    // Entries must be taken while the event runs.
    const entries = [];
    for (const item of Array.from(dt.items || [])) {
      if (item.kind !== 'file') continue;
      const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
      entries.push({ entry, file: item.getAsFile() });
    }
    if (!entries.length) {
      for (const f of Array.from(dt.files || [])) entries.push({ entry: null, file: f });
    }
    fromDrop(entries).then(choose, (err) => showError(err));
  });

  async function fromDrop(entries) {
    if (!entries.length) throw new Error('nothing to read in what was dropped: drop a file or a folder');
    if (entries.length === 1 && entries[0].entry && entries[0].entry.isDirectory) {
      const dir = entries[0].entry;
      const files = [];
      await walk(dir, '', files);
      return { files, name: dir.name };
    }
    if (entries.length === 1) {
      const f = entries[0].file;
      if (!f) throw new Error('the dropped item is not a file');
      return f;
    }
    // Several files: the files of a flat layout (a dir: layout), or a
    // folder's contents.
    const files = [];
    for (const { entry, file } of entries) {
      if (entry && entry.isDirectory) await walk(entry, entry.name + '/', files);
      else if (file) files.push({ path: file.name, file });
    }
    return { files, name: 'layout' };
  }

  async function walk(dir, prefix, out) {
    const reader = dir.createReader();
    for (;;) {
      const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      for (const e of batch) {
        if (e.isDirectory) await walk(e, prefix + e.name + '/', out);
        else out.push({ path: prefix + e.name, file: await new Promise((res, rej) => e.file(res, rej)) });
      }
    }
  }

  function describeSource(input) {
    if (input instanceof Blob) return `${input.name || 'archive'} (${fmtBytes(input.size)})`;
    const files = input.files || input;
    const total = files.reduce((n, f) => n + (f.file || f).size, 0);
    const name = input.name || ((files[0].file || files[0]).webkitRelativePath || '').split('/')[0] || 'folder';
    return `folder ${name} (${files.length} files, ${fmtBytes(total)})`;
  }

  async function choose(input) {
    if (busy) return;
    showError(null);
    clearResult();
    source = input;
    info = null;
    el.inspect.hidden = true;
    el.options.hidden = true;
    const what = describeSource(input);
    status(`Reading ${what}…`);
    await inspect();
    if (info) {
      status(`Read ${what}: ${info.Images.length} image${info.Images.length === 1 ? '' : 's'}, ${info.Layout} layout.`, true);
      el.dest.focus();
    }
  }

  async function inspect(pick) {
    const ac = new AbortController();
    setBusy(ac);
    resetProgress('Reading…');
    el.progress.removeAttribute('value');
    try {
      const got = await retar.inspect(source, { pick: pick || '', signal: ac.signal, onProgress: setProgress });
      if (!pick) fillOptions(got);
      info = got;
      render(got);
      resetProgress();
      if (!pick) await showLoaders(source, $('loaders-box'), $('loaders').tBodies[0]);
    } catch (err) {
      resetProgress();
      if (err.name !== 'AbortError') {
        status('Could not read it.');
        showError(err);
      } else status('Cancelled.');
    } finally {
      setBusy(null);
    }
  }

  // ---- what it holds ----
  function render(info) {
    setFacts(el.facts, [
      ['Layout', info.Layout],
      ['Name', info.Name || '(none)'],
      ['Digest', mono(info.Digest)],
      ['Platform', [info.Os, info.Architecture, info.Variant].filter(Boolean).join('/')],
      ['Created', info.Created],
    ]);
    setWarnings(el.warnings, info.Warnings);
    el.images.replaceChildren(...info.Images.map((im, i) => node('tr', null,
      node('td', { text: '@' + i }),
      node('td', null, im.Names.length ? im.Names.join('\n') : node('em', { text: 'no name' })),
      node('td', { text: im.Platforms.join(', ') }),
      node('td', { class: 'num', title: im.Size != null ? `${im.Size} bytes` : '', text: im.Size != null ? fmtBytes(im.Size) : '' }),
      node('td', null, im.Digest ? mono(short(im.Digest), im.Digest) : node('em', { text: 'none (docker manifest.json)' })),
      node('td', null, im.MediaType ? mono(im.MediaType) : ''))));
    const pickIdx = el.pick.value ? el.pick.value.slice(1) : '0';
    el.layersH.textContent = info.Images.length > 1 ? `Layers of image @${pickIdx}` : 'Layers';
    let total = 0;
    el.layers.replaceChildren(...info.LayersData.map((l, i) => {
      total += l.Size;
      return node('tr', null,
        node('td', { text: String(i + 1) }),
        node('td', null, mono(short(l.Digest), l.Digest)),
        node('td', null, mono(l.MIMEType)),
        node('td', { class: 'num', title: `${l.Size} bytes`, text: fmtBytes(l.Size) }));
    }), node('tr', null, node('td'), node('td', { text: 'total' }), node('td'),
      node('td', { class: 'num', title: `${total} bytes`, text: fmtBytes(total) })));
    el.inspect.hidden = false;
    el.options.hidden = false;
  }

  // showLoaders fills a "who loads it" table from retar check's verdicts;
  // loading them is optional: an older retar.wasm has no check.
  async function showLoaders(input, box, tbody) {
    box.hidden = true;
    let rep;
    try { rep = await retar.check(input); } catch (err) { console.warn('retar check:', err.message); return; }
    tbody.replaceChildren(...rep.consumers.map((v) => node('tr', { class: v.loads ? 'loads' : 'fails' },
      node('th', { scope: 'row', text: v.title }),
      node('td', { class: 'verdict', text: v.loads ? '✓ yes' : '✗ no' }),
      node('td', null, v.names && v.names.length ? v.names.join('\n') : '—'),
      node('td', null, v.problems && v.problems.length ? node('ul', null, ...v.problems.map((p) => node('li', { text: p }))) : ''))));
    box.hidden = false;
  }

  function fillOptions(info) {
    el.pick.replaceChildren();
    const many = info.Images.length > 1;
    el.pick.hidden = $('pick-label').hidden = $('pick-help').hidden = !many;
    if (many) {
      el.pick.append(node('option', { value: '', text: `all ${info.Images.length} images` }));
      info.Images.forEach((im, i) => el.pick.append(node('option', { value: '@' + i, text: `@${i} ${im.Names[0] || '(no name)'}` })));
    }
    const plats = [...new Set(info.Images.flatMap((im) => im.Platforms).filter((p) => !p.endsWith('(absent)')))];
    el.platform.replaceChildren(node('option', { value: '', text: plats.length > 1 ? 'default (linux/amd64, or the only one)' : (plats[0] || 'default') }));
    if (plats.length > 1) {
      for (const p of plats) el.platform.append(node('option', { value: p, text: p }));
      el.platform.append(node('option', { value: '*', text: 'all platforms (oci, oci-archive)' }));
    }
    el.platform.disabled = plats.length <= 1;
  }

  el.pick.addEventListener('change', () => {
    if (source && el.pick.value) inspect(el.pick.value);
    else if (source) inspect('');
  });

  // ---- convert ----
  el.form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy || !source || !ready) return;
    showError(null);
    clearResult();
    const to = el.dest.value;
    const opts = {
      to,
      name: el.name.value.trim(),
      tags: parseNames(el.tags.value),
      format: el.format.value,
      compress: el.compress.value,
      pick: el.pick.value || '',
      platforms: el.platform.value && el.platform.value !== '*' ? [el.platform.value] : [],
      allPlatforms: el.platform.value === '*',
    };
    const ac = new AbortController();
    setBusy(ac);
    resetProgress('Starting…');
    status(`Converting to ${to}…`);
    const t0 = performance.now();
    try {
      const r = await retar.convert(source, { ...opts, signal: ac.signal, onProgress: setProgress });
      const secs = (performance.now() - t0) / 1000;
      showResult({ ...r, to }, secs);
      el.progress.max = 1; el.progress.value = 1;
      el.progressText.textContent = `Done in ${secs.toFixed(1)} s: ${fmtBytes(r.blob.size)}.`;
      status(`Converted to ${to}: ${r.name}.`, true);
      el.download.focus();
      await showLoaders({ file: r.blob, name: r.name }, $('result-loaders-box'), $('result-loaders').tBodies[0]);
    } catch (err) {
      resetProgress();
      if (err.name === 'AbortError') status('Cancelled.');
      else { status('The conversion failed.'); showError(err); }
    } finally {
      setBusy(null);
    }
  });
  el.cancel.addEventListener('click', () => { if (busy) busy.abort(); });

  function showResult(r, secs) {
    result = r;
    objectURL = URL.createObjectURL(r.blob);
    el.download.href = objectURL;
    el.download.download = r.name;
    el.download.textContent = `Download ${r.name} (${fmtBytes(r.blob.size)})`;
    const folderLayout = r.to === 'oci' || r.to === 'dir';
    el.saveFolder.hidden = !(folderLayout && typeof window.showDirectoryPicker === 'function');
    const rep = r.report || {};
    const imgs = rep.images || [];
    setFacts(el.resultFacts, [
      ['Layout', rep.layout + (folderLayout ? ' (a tar of the folder)' : '')],
      ...imgs.flatMap((im, i) => [
        [imgs.length > 1 ? `Image @${i}` : 'Names', (im.names && im.names.length) ? im.names.join(', ') : '(none)'],
        ['Manifest', mono(im.digest)],
        ['Image ID', mono(im.id || '')],
      ]),
      ['Time', `${secs.toFixed(1)} s`],
    ]);
    setWarnings(el.resultWarnings, rep.warnings);
    el.result.hidden = false;
  }

  el.saveFolder.addEventListener('click', async () => {
    if (!result || busy) return;
    showError(null);
    let dir;
    try {
      dir = await window.showDirectoryPicker({ id: 'retar-out', mode: 'readwrite' });
    } catch (err) {
      if (err.name !== 'AbortError') showError(err);
      return;
    }
    const ac = new AbortController();
    setBusy(ac);
    resetProgress('Writing files…');
    try {
      const n = await retar.saveToDirectory(result.blob, dir, (d, t) => setProgress(d, t, 'writing files'));
      status(`Wrote ${n} files into ${dir.name}.`, true);
    } catch (err) {
      showError(err);
    } finally {
      setBusy(null);
    }
  });
})();

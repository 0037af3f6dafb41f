// The page: a drop zone and pickers, what the source holds and who loads
// it, options, Convert with progress, what the result holds and who loads
// it now, download. All work is done by retar.js's Worker; what the core
// says for the command line is said in the page's words (words.js).
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const words = window.pageWords;
  const el = {
    drop: $('drop-zone'), file: $('file-input'), folder: $('folder-input'), status: $('status'),
    inspect: $('inspect'), facts: $('facts'), warnings: $('warnings'), images: $('images').tBodies[0],
    layers: $('layers').tBodies[0], layersH: $('layers-h'), holds: $('holds'), loads: $('loads'),
    resultLoads: $('result-loads'), resultDigests: $('result-digests'),
    options: $('options'), form: $('convert-form'), dest: $('dest-layout'), pick: $('pick'), name: $('name'),
    tags: $('tags'), format: $('format'), compress: $('compress'), platform: $('platform'),
    convert: $('convert'), cancel: $('cancel'), progress: $('progress'), progressText: $('progress-text'),
    task: $('task'), taskSlot: $('task-slot'), sourceSection: $('source-h').parentElement,
    error: $('error'), errorSummary: $('error-summary'), errorDetails: $('error-details'), errorDetail: $('error-detail'),
    result: $('result'), download: $('download'), saved: $('saved'), saveFolder: $('save-folder'),
    resultFacts: $('result-facts'), resultWarnings: $('result-warnings'), version: $('version'),
  };

  let source = null;      // what the user dropped or picked (retar input)
  let handle = null;      // retar.open(source): the archive stays open, each blob hashed once
  let info = null;        // its inspection
  let sourceImages = [];  // the source's images, as inspect gives them (to name image @N)
  let sourceCheck = null; // who loads the source as it is (retar check)
  let prefill = { name: '', tags: '' }; // what the name fields were filled with from the source
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
  function setWarnings(ul, list, ctx) {
    ul.replaceChildren(...(list || []).map((w) => node('li', null, ...said(w, ctx))));
  }
  function status(msg, ok) {
    el.status.textContent = msg;
    el.status.classList.toggle('ok', !!ok);
  }
  // showError says what went wrong in the user's words (the summary the
  // core gives), with the CLI's line behind a "details" toggle, both in the
  // page's terms. A refusal of one option (err.field) is shown at the
  // field that sets it instead, and focuses it.
  function showError(err) {
    clearFieldErrors();
    if (!err) { el.error.hidden = true; el.errorSummary.textContent = ''; el.errorDetail.textContent = ''; return false; }
    const ctx = { images: sourceImages };
    const msg = words.text((err && err.message) || String(err), ctx);
    const summary = words.text((err && err.summary) || (err && err.message) || String(err), ctx);
    if (showFieldError(err.field, summary)) { el.error.hidden = true; return true; }
    el.errorSummary.textContent = summary;
    el.errorDetail.textContent = msg;
    el.errorDetails.open = false;
    el.errorDetails.hidden = summary === msg;
    el.error.hidden = false;
    return false;
  }
  // The page's field for each option of the JS API an error can be about.
  const fields = { name: 'name', tags: 'tags', platforms: 'platform', platform: 'platform', pick: 'pick', format: 'format', compress: 'compress' };
  const fieldLabels = { name: 'Name', tags: 'Extra names', platform: 'Platform', pick: 'Image', format: 'Manifest format', compress: 'Layer compression' };
  function showFieldError(option, text) {
    const id = fields[option];
    const control = id && $(id);
    const slot = id && $(id + '-error');
    if (!control || !slot || control.hidden || el.options.hidden) return false;
    slot.textContent = text;
    slot.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    control.focus();
    status(`Not converted: see ${fieldLabels[id]}.`);
    return true;
  }
  function clearFieldErrors() {
    for (const id of Object.keys(fieldLabels)) {
      const slot = $(id + '-error');
      if (slot) { slot.hidden = true; slot.textContent = ''; }
      $(id).removeAttribute('aria-invalid');
    }
  }
  // fieldLink is a link to one of the page's fields, from a sentence.
  function fieldLink(id, text) {
    const a = node('a', { href: '#' + id, class: 'field-link', text });
    a.addEventListener('click', (ev) => { ev.preventDefault(); const f = $(id); f.focus(); if (f.select) f.select(); });
    return a;
  }
  // said puts a message of the core in the page's words, its fields linked.
  function said(message, ctx) {
    return words.parts(message, { images: sourceImages, short: true, ...ctx })
      .map((p) => (typeof p === 'string' ? p : fieldLink(p.field, p.text)));
  }
  // fmtSecs: "0.4 s", and "under 0.1 s" rather than "0.0 s".
  function fmtSecs(secs) { return secs < 0.05 ? 'under 0.1 s' : `${secs.toFixed(1)} s`; }
  // The task box (a progress bar, its text and Cancel) shows what runs:
  // reading a source (under the drop zone) or converting (under Convert).
  function showTask(where, text) {
    const parent = where === 'convert' ? el.taskSlot : el.sourceSection;
    if (el.task.parentElement !== parent) parent.append(el.task);
    resetProgress(text);
    el.task.hidden = false;
  }
  function hideTask() { el.task.hidden = true; resetProgress(); }

  const phaseWords = {
    decompressing: 'decompressing', verifying: 'verifying digests', 're-encoding': 're-encoding layers', writing: 'writing',
  };
  // setProgress shows a phase's bytes, its rate and the time left; each
  // phase (decompressing, verifying, re-encoding, writing) fills the bar once.
  const phaseClock = { phase: undefined, t: 0, bytes0: 0 };
  function setProgress(p, prefix) {
    const { phase, bytes, totalBytes, blobs, totalBlobs } = p || {};
    if (phase !== phaseClock.phase) { phaseClock.phase = phase; phaseClock.t = performance.now(); phaseClock.bytes0 = bytes || 0; }
    if (totalBytes > 0) { el.progress.max = totalBytes; el.progress.value = Math.min(bytes, totalBytes); } else { el.progress.removeAttribute('value'); }
    const words = phaseWords[phase] || phase || '';
    let text = prefix ? `${prefix}: ${words}` : words[0].toUpperCase() + words.slice(1);
    if (totalBytes > 0) text += ` ${fmtBytes(bytes)} of ${fmtBytes(totalBytes)} (${Math.floor(100 * bytes / totalBytes)}%)`;
    if (totalBlobs > 1) text += `, ${blobs} of ${totalBlobs} blobs`;
    const secs = (performance.now() - phaseClock.t) / 1000;
    const rate = (bytes - phaseClock.bytes0) / secs;
    if (secs > 0.5 && rate > 0) {
      text += `, ${(rate / 1e6).toFixed(0)} MB/s`;
      const left = (totalBytes - bytes) / rate;
      if (secs > 1 && left >= 1) text += `, about ${left < 90 ? Math.ceil(left) + ' s' : Math.ceil(left / 60) + ' min'} left`;
    }
    el.progressText.textContent = text;
  }
  function resetProgress(text) {
    el.progress.max = 1; el.progress.value = 0;
    phaseClock.phase = undefined;
    el.progressText.textContent = text || '';
  }
  function clearResult() {
    $('result-loaders-box').hidden = true;
    el.resultLoads.hidden = true;
    $('result-details').open = false;
    result = null;
    if (objectURL) { URL.revokeObjectURL(objectURL); objectURL = null; }
    el.result.hidden = true;
    el.download.setAttribute('href', '#');
    el.download.removeAttribute('download');
    el.download.textContent = '';
    el.download.hidden = false;
    el.saved.hidden = true;
    el.saved.textContent = '';
  }
  function setBusy(ac) {
    busy = ac;
    el.convert.disabled = !!ac || !ready || !info;
    el.cancel.hidden = !ac;
    el.cancel.disabled = !ac;
    el.file.disabled = el.folder.disabled = !!ac;
    el.drop.setAttribute('aria-busy', ac ? 'true' : 'false');
  }
  const parseNames = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  // Where the browser can write a file the user picks (the File System
  // Access API), Convert asks where to save and the result is written there
  // as it is made; elsewhere it is kept and saved by the Download link.
  const canSave = () => typeof window.showSaveFilePicker === 'function';
  // leftWords says what a conversion that failed left in the file it was
  // writing (retar.convert's err.output).
  function leftWords(out) {
    if (!out) return '';
    if (out.left === 'removed') return ` Nothing was saved: ${out.name} was removed.`;
    if (out.left === 'empty') return ` Nothing was saved: ${out.name} is empty; delete it.`;
    return ` Nothing was saved: ${out.name} is as it was.`;
  }

  // ---- start ----
  retar.ready.then(
    () => {
      ready = true;
      el.version.textContent = `(${retar.version}; sha256 by ${retar.hasher}${retar.workers ? ` in ${retar.workers} Workers` : ''})`;
      if (canSave()) el.convert.textContent = 'Convert and save…';
      status('Ready: drop an archive or a layout folder, or pick one.');
      setBusy(busy);
    },
    (err) => { status('retar could not start.'); showError(err); },
  );

  // Offline and installable: sw.js keeps the page's files (the Worker's,
  // retar.wasm's and the hashers' included) for visits without a network.
  if ('serviceWorker' in navigator && /^https?:$/.test(location.protocol)) {
    navigator.serviceWorker.register('sw.js').catch((err) => console.warn('retar: no offline copy:', err.message));
  }
  // Installed, the page opens archives the system hands it (manifest's file_handlers).
  if ('launchQueue' in window) {
    window.launchQueue.setConsumer(async (params) => {
      if (params.files && params.files.length) choose(await params.files[0].getFile());
    });
  }

  // ---- choosing a source ----
  el.file.addEventListener('change', () => {
    if (el.file.files.length) { el.folder.value = ''; choose(el.file.files[0]); }
  });
  el.folder.addEventListener('change', () => {
    if (el.folder.files.length) { el.file.value = ''; choose(Array.from(el.folder.files)); }
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
    fromDrop(entries).then((input) => choose(input, true), (err) => showError(err));
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

  // showInPickers makes the pickers name what was dropped, as if it had
  // been picked: the file, or the folder's files.
  function showInPickers(input) {
    try {
      const dt = new DataTransfer();
      if (input instanceof Blob) {
        if (input instanceof File) dt.items.add(input);
        el.file.files = dt.files;
        el.folder.value = '';
      } else {
        for (const f of (input.files || input)) dt.items.add(f.file || f);
        el.folder.files = dt.files;
        el.file.value = '';
      }
    } catch { /* a browser without DataTransfer(): the pickers keep their text */ }
  }

  async function choose(input, dropped) {
    if (busy) return;
    showError(null);
    clearResult();
    if (handle) handle.close();
    handle = null;
    info = null;
    sourceImages = [];
    sourceCheck = null;
    el.inspect.hidden = true;
    el.loads.hidden = true;
    $('inspect-details').open = false;
    el.options.hidden = true;
    // a new source starts with its own names, never the last one's
    prefill = { name: '', tags: '' };
    el.name.value = el.tags.value = '';
    if (dropped) showInPickers(input);
    try { handle = retar.open(input); } catch (err) { status('Could not read it.'); showError(err); return; }
    source = input;
    const what = describeSource(input);
    status(`Reading ${what}…`);
    await inspect('', what);
    if (info) {
      status(`Read ${what}: ${info.Images.length} image${info.Images.length === 1 ? '' : 's'}, ${info.Layout} layout.`, true);
      el.dest.focus();
    }
  }

  async function inspect(pick, what) {
    const ac = new AbortController();
    setBusy(ac);
    const prefix = what ? `Reading ${what}` : 'Reading';
    showTask('source', `${prefix}…`);
    el.progress.removeAttribute('value');
    try {
      const got = await handle.inspect({ pick: pick || '', signal: ac.signal, onProgress: (p) => setProgress(p, prefix) });
      if (!pick) { sourceImages = got.Images; fillOptions(got); }
      fillNames(got, pick, !pick);
      info = got;
      render(got);
      hideTask();
      if (!pick) {
        sourceCheck = await showLoaders(() => handle.check(), $('loaders-box'), $('loaders').tBodies[0], 'below');
        showLoadsBefore(sourceCheck);
      }
    } catch (err) {
      hideTask();
      if (err.name !== 'AbortError') {
        status('Could not read it.');
        showError(err);
      } else status(`Cancelled reading ${what || 'it'}: drop or pick it again to start over.`);
    } finally {
      setBusy(null);
    }
  }

  // fillNames puts the names of the image to convert in the Name and Extra
  // names fields (full references only: a bare tag would mean another name
  // to docker): for a new source always, for another pick unless the
  // fields were edited.
  function fillNames(info, pick, fresh) {
    if (!fresh && (el.name.value.trim() !== prefill.name || el.tags.value.trim() !== prefill.tags)) return;
    const i = pick ? Number(pick.slice(1)) : (info.Images.length === 1 ? 0 : -1);
    const names = (i >= 0 && info.Images[i] ? info.Images[i].Names : []).filter((n) => /[/:]/.test(n));
    prefill = { name: names[0] || '', tags: names.slice(1).join(', ') };
    el.name.value = prefill.name;
    el.tags.value = prefill.tags;
  }

  // ---- what it holds ----
  function render(info) {
    el.holds.replaceChildren(...holds(info));
    setFacts(el.facts, [
      ['Layout', info.Layout],
      ['Name', info.Name || '(none)'],
      ['Digest', info.Digest ? mono(info.Digest) : ''],
      ['Platform', [info.Os, info.Architecture, info.Variant].filter(Boolean).join('/')],
      ['Created', info.Created],
    ]);
    setWarnings(el.warnings, info.Warnings, { where: 'below' });
    el.images.replaceChildren(...info.Images.map((im, i) => node('tr', null,
      node('td', { 'data-label': 'Image', text: String(i + 1) }),
      node('td', { 'data-label': 'Names' }, im.Names.length ? im.Names.join('\n') : node('em', { text: 'no name' })),
      node('td', { 'data-label': 'Platforms', text: im.Platforms.join(', ') }),
      node('td', { 'data-label': 'Size', class: 'num', title: im.Size != null ? `${im.Size} bytes` : '', text: im.Size != null ? fmtBytes(im.Size) : '' }),
      node('td', { 'data-label': 'Digest' }, im.Digest ? mono(short(im.Digest), im.Digest) : node('em', { text: 'none: docker-archives have none' })),
      node('td', { 'data-label': 'Media type' }, im.MediaType ? mono(im.MediaType) : ''))));
    const pickIdx = el.pick.value ? Number(el.pick.value.slice(1)) : 0;
    el.layersH.textContent = info.Images.length > 1 ? `Layers of ${words.imageLabel(pickIdx, sourceImages)}` : 'Layers';
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

  // holds says in a line what the source is: its layout, its images and
  // their names, platforms and size (the digests are in the details).
  function holds(info) {
    const n = info.Images.length;
    const names = [...new Set(info.Images.flatMap((im) => im.Names))];
    const plats = [...new Set(info.Images.flatMap((im) => im.Platforms))];
    const size = info.Images.reduce((t, im) => t + (im.Size || 0), 0);
    const named = names.length === 0 ? (n === 1 ? 'with no name' : 'with no names')
      : `named ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
    return [node('strong', { text: info.Layout }), `: ${n === 1 ? 'one image' : `${n} images`} ${named}`,
      plats.length ? `, for ${plats.join(', ')}` : '', size ? `, ${fmtBytes(size)}.` : '.'];
  }

  // A loader's title, short enough for a list ("containerd 2.0", not
  // "containerd 2.0: ctr images import").
  const loaderName = (v) => v.title.replace(/: ctr images import$/, '').replace(/ \(agent\/images\)$/, '')
    .replace(/, (kept on upgraded hosts|the default)\)$/, ')');
  const listOf = (vs) => vs.map(loaderName).join(', ');

  // showLoadsBefore: who loads the source as it is, in a line; the table
  // is in the details.
  function showLoadsBefore(rep) {
    if (!rep) return;
    const all = rep.consumers;
    const yes = all.filter((v) => v.loads);
    const no = all.filter((v) => !v.loads);
    el.loads.replaceChildren(
      node('strong', { text: no.length ? `Loads as it is in ${yes.length} of ${all.length} loaders.` : `Loads as it is in all ${all.length} loaders.` }),
      no.length ? ` Not in ${listOf(no)}: the details say why.` : '');
    el.loads.hidden = false;
  }

  // showLoadsAfter: who loads the result, against the source: "loads in 8
  // of 15 → 15 of 15", and which loaders that changes.
  function showLoadsAfter(before, after) {
    if (!after) return;
    const all = after.consumers;
    const was = new Set(before ? before.consumers.filter((v) => v.loads).map((v) => v.consumer) : []);
    const now = all.filter((v) => v.loads);
    const gained = now.filter((v) => !was.has(v.consumer));
    const lost = all.filter((v) => !v.loads && was.has(v.consumer));
    const still = all.filter((v) => !v.loads && !was.has(v.consumer));
    const kids = [node('strong', { text: before
      ? `Loads in ${was.size} of ${before.consumers.length} → ${now.length} of ${all.length} loaders.`
      : `Loads in ${now.length} of ${all.length} loaders.` })];
    if (before && gained.length) kids.push(node('span', { class: 'gained', text: ` Now also in ${listOf(gained)}.` }));
    if (lost.length) kids.push(node('span', { class: 'lost', text: ` No longer in ${listOf(lost)}.` }));
    if (still.length) kids.push(` Not in ${listOf(still)}: the details say why.`);
    el.resultLoads.replaceChildren(...kids);
    el.resultLoads.hidden = false;
  }

  // notesOf are a verdict's notes in the page's words, as the core words
  // them for the page (check's facts[].page: the same table as the command
  // line's words, with the page's fields for its flags); an older
  // retar.wasm gives the command line's problems only.
  const notesOf = (v) => (v.facts && v.facts.length && v.facts.every((f) => f.page)
    ? v.facts.map((f) => f.page) : (v.problems || []));

  // showLoaders fills a "who loads it" table from retar check's verdicts,
  // their notes in the page's words (where: the form is 'below' or
  // 'above'), and returns the report; loading them is optional: an older
  // retar.wasm has no check.
  async function showLoaders(getReport, box, tbody, where) {
    box.hidden = true;
    let rep;
    try { rep = await getReport(); } catch (err) { console.warn('retar check:', err.message); return null; }
    tbody.replaceChildren(...rep.consumers.map((v) => node('tr', { class: v.loads ? 'loads' : 'fails' },
      node('th', { scope: 'row', text: v.title }),
      node('td', { class: 'verdict', 'data-label': 'Loads it', text: v.loads ? '✓ yes' : '✗ no' }),
      node('td', { 'data-label': 'Registers' }, v.names && v.names.length ? v.names.join('\n') : '—'),
      node('td', { 'data-label': 'Notes' }, notesOf(v).length
        ? node('ul', null, ...notesOf(v).map((p) => node('li', null, ...said(p, { where })))) : ''))));
    box.hidden = false;
    return rep;
  }

  function fillOptions(info) {
    el.pick.replaceChildren();
    const many = info.Images.length > 1;
    el.pick.hidden = $('pick-control').hidden = $('pick-label').hidden = $('pick-help').hidden = !many;
    if (many) {
      el.pick.append(node('option', { value: '', text: `all ${info.Images.length} images` }));
      info.Images.forEach((im, i) => el.pick.append(node('option', { value: '@' + i, text: `${i + 1}: ${im.Names[0] || 'no name'}` })));
    }
    const plats = [...new Set(info.Images.flatMap((im) => im.Platforms).filter((p) => !p.endsWith('(absent)')))];
    el.platform.replaceChildren(node('option', { value: '', text: plats.length > 1 ? 'default (linux/amd64, or the only one)' : (plats[0] || 'default') }));
    if (plats.length > 1) {
      for (const p of plats) el.platform.append(node('option', { value: p, text: p }));
      el.platform.append(node('option', { value: '*', text: 'all platforms (oci, oci-archive)' }));
    }
    el.platform.disabled = plats.length <= 1;
  }

  // A field's error goes once it is changed.
  for (const id of Object.keys(fieldLabels)) {
    $(id).addEventListener('input', () => {
      const slot = $(id + '-error');
      if (slot && !slot.hidden) { slot.hidden = true; slot.textContent = ''; $(id).removeAttribute('aria-invalid'); }
    });
  }

  el.pick.addEventListener('change', () => {
    if (handle) inspect(el.pick.value || '');
  });

  // ---- convert ----
  el.form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy || !handle || !ready) return;
    showError(null);
    clearResult();
    hideTask();
    const to = el.dest.value;
    // The name fields as the source filled them keep its names as they
    // are; edited, they say all the names the image gets.
    const edited = el.name.value.trim() !== prefill.name || parseNames(el.tags.value).join(', ') !== prefill.tags;
    const opts = {
      to,
      name: edited ? el.name.value.trim() : '',
      tags: edited ? parseNames(el.tags.value) : [],
      format: el.format.value,
      compress: el.compress.value,
      pick: el.pick.value || '',
      platforms: el.platform.value && el.platform.value !== '*' ? [el.platform.value] : [],
      allPlatforms: el.platform.value === '*',
    };
    let saveTo = null;
    if (canSave()) {
      try {
        saveTo = await window.showSaveFilePicker({
          id: 'retar-out', suggestedName: retar.outputName(handle.input, to),
          types: [{ description: 'Image archive (tar)', accept: { 'application/x-tar': ['.tar'] } }],
        });
      } catch (err) {
        if (err.name === 'AbortError') { status('Not converted: no file was picked to save it in.'); return; }
        console.warn('retar: no save dialog, keeping the result for the Download link:', err.message);
      }
    }
    const ac = new AbortController();
    setBusy(ac);
    showTask('convert', 'Starting…');
    status(`Converting to ${to}${saveTo ? ` into ${saveTo.name}` : ''}…`);
    const t0 = performance.now();
    try {
      const r = await handle.convert({ ...opts, saveTo, signal: ac.signal, onProgress: (p) => setProgress(p) });
      const secs = (performance.now() - t0) / 1000;
      showResult({ ...r, to });
      el.progress.max = 1; el.progress.value = 1;
      el.progressText.textContent = `Done in ${fmtSecs(secs)}: ${fmtBytes(r.blob.size)}${r.saved ? `, saved as ${r.blob.name}` : ''}.`;
      status(r.saved ? `Converted to ${to} and saved as ${r.blob.name}.` : `Converted to ${to}: ${r.name}.`, true);
      (r.saved ? el.saved : el.download).focus();
      const after = await showLoaders(async () => retar.check(await checkable({ ...r, to })), $('result-loaders-box'), $('result-loaders').tBodies[0], 'above');
      showLoadsAfter(sourceCheck, after);
    } catch (err) {
      hideTask();
      if (err.name === 'AbortError') status(`Cancelled.${leftWords(err.output)}`);
      else if (!showError(err)) status(`The conversion failed.${leftWords(err.output)}`);
      else if (err.output) status(el.status.textContent + leftWords(err.output)); // shown at a field
    } finally {
      setBusy(null);
    }
  });
  el.cancel.addEventListener('click', () => { if (busy) busy.abort(); });

  // checkable is what retar check reads of a result: the archive, or for
  // a dir: layout (which comes as a tar of the folder) the folder's files.
  async function checkable(r) {
    if (r.to !== 'dir') return { file: r.blob, name: r.name };
    const files = (await retar.readTar(r.blob)).filter((e) => e.type === 'file')
      .map((e) => ({ path: e.path, file: r.blob.slice(e.offset, e.offset + e.size) }));
    return { files, name: r.name.replace(/\.tar$/, '') };
  }

  // showResult: the download, the result's names and notices up front;
  // its digests in the details.
  function showResult(r) {
    result = r;
    if (r.saved) {
      // written where the user said: nothing to download
      el.download.hidden = true;
      el.saved.textContent = `Saved as ${r.blob.name} (${fmtBytes(r.blob.size)}).`;
      el.saved.tabIndex = -1;
      el.saved.hidden = false;
    } else {
      objectURL = URL.createObjectURL(r.blob);
      el.download.href = objectURL;
      el.download.download = r.name;
      el.download.textContent = `Download ${r.name} (${fmtBytes(r.blob.size)})`;
    }
    const folderLayout = r.to === 'oci' || r.to === 'dir';
    el.saveFolder.hidden = !(folderLayout && typeof window.showDirectoryPicker === 'function');
    const rep = r.report || {};
    const imgs = rep.images || [];
    const many = imgs.length > 1;
    const label = (i) => (many ? words.nth(i) : 'the image');
    const namesOf = (im) => ((im.names && im.names.length) ? im.names.join(', ') : node('em', { text: 'no name' }));
    setFacts(el.resultFacts, [
      ['Layout', rep.layout + (folderLayout ? ' (a tar of the folder)' : '')],
      ...imgs.map((im, i) => [many ? `Names of ${label(i)}` : 'Names', namesOf(im)]),
    ]);
    setFacts(el.resultDigests, imgs.flatMap((im, i) => {
      const of = many ? ` of ${label(i)}` : '';
      const index = /image\.index|manifest\.list/.test(im.mediaType || '');
      return [
        [`Digest${of}`, im.digest ? mono(im.digest)
          : node('span', { class: 'note', text: 'none: docker knows an image loaded from a docker-archive by its image ID' })],
        [`Image ID${of}`, im.id ? mono(im.id)
          : (index ? node('span', { class: 'note', text: 'one per platform: this image is an index of several' }) : '')],
        [`Media type${of}`, im.mediaType ? mono(im.mediaType) : ''],
      ];
    }));
    setWarnings(el.resultWarnings, rep.warnings, { where: 'above' });
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
    showTask('convert', 'Writing files…');
    try {
      const n = await retar.saveToDirectory(result.blob, dir, (d, t) => setProgress({ phase: 'writing files', bytes: d, totalBytes: t }));
      status(`Wrote ${n} files into ${dir.name}.`, true);
    } catch (err) {
      showError(err);
    } finally {
      setBusy(null);
    }
  });
})();

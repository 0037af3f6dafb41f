// Updates for a machine without a network, in the page's words: "what
// this archive holds" is retar digests' list (the same text), and
// "rebuild from an update" fills a delta in from the archives the machine
// has, as retar convert --base does: the same bytes. The rebuilt archive is
// written into a file the user picks where the browser can (as Convert
// does), or comes as a Blob to download.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const zone = $('holds-zone'), input = $('holds-input'), holdsStatus = $('holds-status');
  const list = $('holds-list'), listLink = $('holds-download');
  const update = $('rebuild-update'), have = $('rebuild-have'), rebuild = $('rebuild');
  const rebuildStatus = $('rebuild-status'), out = $('rebuild-download');
  const errBox = $('rebuild-error'), errSummary = $('rebuild-error-summary'), errDetail = $('rebuild-error-detail');
  const words = window.pageWords;
  let running = false, listURL = null, outURL = null;

  function fmtBytes(n) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + u[i];
  }
  const say = (text) => (words ? words.text(text, {}) : text);

  async function holds(files) {
    if (running || files.length === 0) return;
    running = true;
    list.hidden = true; listLink.hidden = true;
    if (listURL) { URL.revokeObjectURL(listURL); listURL = null; }
    const names = files.map((f) => f.name).join(', ');
    holdsStatus.textContent = `Reading ${names}…`;
    try {
      await window.retar.ready;
      const r = await window.retar.digests(files);
      const layers = r.diffIDs.length;
      holdsStatus.textContent = `${names}: ${r.blobs.length} ${r.blobs.length === 1 ? 'digest' : 'digests'}, ${layers} ${layers === 1 ? 'layer' : 'layers'}.`;
      list.textContent = r.text;
      list.hidden = false;
      listURL = URL.createObjectURL(new Blob([r.text], { type: 'text/plain' }));
      listLink.href = listURL;
      listLink.download = `${files.length === 1 ? files[0].name.replace(/(\.(tar|tgz|gz|zst|bz2|xz))+$/, '') : 'archives'}.digests.txt`;
      listLink.hidden = false;
    } catch (err) {
      holdsStatus.textContent = `Could not read them: ${say(err.summary || err.message)}`;
    } finally {
      running = false;
    }
  }

  function showError(err) {
    if (!err) { errBox.hidden = true; return; }
    const summary = say(err.summary || err.message || String(err));
    errSummary.textContent = summary;
    errDetail.textContent = say(err.message || String(err));
    errBox.hidden = false;
  }

  // pickFile asks where to save the rebuilt archive, where the browser can;
  // null: it comes as a Blob to download. undefined: the user said no.
  async function pickFile(name) {
    if (typeof window.showSaveFilePicker !== 'function') return null;
    try {
      return await window.showSaveFilePicker({
        id: 'retar-out', suggestedName: name,
        types: [{ description: 'Image archive (tar)', accept: { 'application/x-tar': ['.tar'] } }],
      });
    } catch (err) {
      if (err.name === 'AbortError') return undefined;
      return null;
    }
  }

  rebuild.addEventListener('click', async () => {
    if (running) return;
    showError(null);
    out.hidden = true;
    if (outURL) { URL.revokeObjectURL(outURL); outURL = null; }
    const delta = update.files[0], bases = Array.from(have.files);
    if (!delta || bases.length === 0) {
      rebuildStatus.textContent = 'Choose the update and at least one archive you already have.';
      return;
    }
    const name = delta.name.replace(/(\.(tar|tgz|gz|zst|bz2|xz))+$/, '') + '.whole.tar';
    const saveTo = await pickFile(name);
    if (saveTo === undefined) { rebuildStatus.textContent = 'Not rebuilt: no file was picked to save it in.'; return; }
    running = true;
    rebuild.disabled = true;
    rebuildStatus.textContent = `Rebuilding ${delta.name} from ${bases.map((b) => b.name).join(', ')}…`;
    try {
      await window.retar.ready;
      const r = await window.retar.convert(delta, { to: 'oci-archive', bases, saveTo });
      if (r.saved) {
        rebuildStatus.textContent = `Rebuilt and saved as ${r.blob.name} (${fmtBytes(r.blob.size)}).`;
      } else {
        outURL = URL.createObjectURL(r.blob);
        out.href = outURL;
        out.download = name;
        out.textContent = `Download ${name} (${fmtBytes(r.blob.size)})`;
        out.hidden = false;
        rebuildStatus.textContent = `Rebuilt: ${name}.`;
      }
    } catch (err) {
      rebuildStatus.textContent = 'The archive could not be rebuilt.';
      showError(err);
    } finally {
      running = false;
      rebuild.disabled = false;
    }
  });

  dropZone(zone, input, holds);
})();

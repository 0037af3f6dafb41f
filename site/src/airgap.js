// Updates for a machine without a network, in the page's words: "what
// this archive holds" is retar digests' list (the same text); "make an
// update" writes the delta retar convert --since writes, from the new
// archive and what the other machine has (that list, or its archives);
// "rebuild from an update" fills a delta in from the archives the machine
// has, as retar convert --base does: the same bytes. Both archives are
// written into a file the user picks where the browser can (as Convert
// does), or come as a Blob to download.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const zone = $('holds-zone'), input = $('holds-input'), holdsStatus = $('holds-status');
  const list = $('holds-list'), listLink = $('holds-download');
  const newer = $('make-new'), farHas = $('make-have');
  const update = $('rebuild-update'), have = $('rebuild-have');
  const words = window.pageWords;
  let running = false, listURL = null;

  function fmtBytes(n) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + u[i];
  }
  const stem = (name) => name.replace(/(\.(tar|tgz|gz|zst|bz2|xz))+$/, '');
  const plural = (n, one) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const names = (files) => Array.from(files, (f) => f.name).join(', ');
  const say = (text) => (words ? words.text(text, {}) : text);

  async function holds(files) {
    if (running || files.length === 0) return;
    running = true;
    list.hidden = true; listLink.hidden = true;
    if (listURL) { URL.revokeObjectURL(listURL); listURL = null; }
    holdsStatus.textContent = `Reading ${names(files)}…`;
    try {
      await window.retar.ready;
      const r = await window.retar.digests(files);
      const layers = r.diffIDs.length;
      holdsStatus.textContent = `${names(files)}: ${plural(r.blobs.length, 'digest')}, ${plural(layers, 'layer')}.`;
      list.textContent = r.text;
      list.hidden = false;
      listURL = URL.createObjectURL(new Blob([r.text], { type: 'text/plain' }));
      listLink.href = listURL;
      listLink.download = `${files.length === 1 ? stem(files[0].name) : 'archives'}.digests.txt`;
      listLink.hidden = false;
    } catch (err) {
      holdsStatus.textContent = `Could not read them: ${say(err.summary || err.message)}`;
    } finally {
      running = false;
    }
  }

  // pickFile asks where to save an archive made here, where the browser
  // can; null: it comes as a Blob to download. undefined: the user said no.
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

  // tool wires one of the two tools that make an archive: id is its
  // button, id-status, id-error… and id-download what it shows. missing()
  // says what is yet to be chosen; run(saveTo) converts; done(r, file,
  // size, saved) says what came out, in which file.
  function tool(id, { missing, outName, busy, run, done, failed, notPicked }) {
    const button = $(id), status = $(`${id}-status`), out = $(`${id}-download`);
    const errBox = $(`${id}-error`), errSummary = $(`${id}-error-summary`), errDetail = $(`${id}-error-detail`);
    let outURL = null;
    function showError(err) {
      if (!err) { errBox.hidden = true; return; }
      errSummary.textContent = say(err.summary || err.message || String(err));
      errDetail.textContent = say(err.message || String(err));
      errBox.hidden = false;
    }
    button.addEventListener('click', async () => {
      if (running) return;
      showError(null);
      out.hidden = true;
      if (outURL) { URL.revokeObjectURL(outURL); outURL = null; }
      const lacking = missing();
      if (lacking) { status.textContent = lacking; return; }
      const name = outName();
      const saveTo = await pickFile(name);
      if (saveTo === undefined) { status.textContent = notPicked; return; }
      running = true;
      button.disabled = true;
      status.textContent = busy();
      try {
        await window.retar.ready;
        const r = await run(saveTo);
        if (r.saved) {
          status.textContent = done(r, r.blob.name, fmtBytes(r.blob.size), true);
        } else {
          outURL = URL.createObjectURL(r.blob);
          out.href = outURL;
          out.download = name;
          out.textContent = `Download ${name} (${fmtBytes(r.blob.size)})`;
          out.hidden = false;
          status.textContent = done(r, name, fmtBytes(r.blob.size), false);
        }
      } catch (err) {
        status.textContent = failed;
        showError(err);
      } finally {
        running = false;
        button.disabled = false;
      }
    });
  }

  // leftOut says what an update left out and so how much less there is to
  // carry, then the conversion's other notices in the page's words (its
  // notice of what was left out says what this sentence does).
  function leftOut(r) {
    const d = r.delta || { absent: [], absentBytes: 0 };
    let said = d.absent.length === 0
      ? 'It leaves out nothing: the other machine has none of its layers, so it carries them all.'
      : `It leaves out ${plural(d.absent.length, 'layer')} the other machine already has: ${fmtBytes(d.absentBytes)} less to carry.`;
    for (const w of (r.report && r.report.warnings) || []) {
      if (!/^a delta: /.test(w)) said += ' ' + say(w.replace(/the other side/g, 'the other machine'));
    }
    return said;
  }

  tool('make', {
    missing: () => (!newer.files[0] || farHas.files.length === 0
      ? 'Choose the new archive, and the list the other machine made (or the archives it has).' : ''),
    outName: () => `${stem(newer.files[0].name)}.update.tar`,
    busy: () => `Making an update of ${newer.files[0].name} for a machine that has ${names(farHas.files)}…`,
    run: (saveTo) => window.retar.convert(newer.files[0], { to: 'oci-archive', since: Array.from(farHas.files), saveTo }),
    done: (r, file, size, saved) => `Made the update${saved ? ' and saved it as ' : ': '}${file} (${size}). ${leftOut(r)}`,
    failed: 'The update could not be made.',
    notPicked: 'Not made: no file was picked to save it in.',
  });

  tool('rebuild', {
    missing: () => (!update.files[0] || have.files.length === 0
      ? 'Choose the update and at least one archive you already have.' : ''),
    outName: () => `${stem(update.files[0].name)}.whole.tar`,
    busy: () => `Rebuilding ${update.files[0].name} from ${names(have.files)}…`,
    run: (saveTo) => window.retar.convert(update.files[0], { to: 'oci-archive', bases: Array.from(have.files), saveTo }),
    done: (r, file, size, saved) => (saved ? `Rebuilt and saved as ${file} (${size}).` : `Rebuilt: ${file}.`),
    failed: 'The archive could not be rebuilt.',
    notPicked: 'Not rebuilt: no file was picked to save it in.',
  });

  dropZone(zone, input, holds);
})();

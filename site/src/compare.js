// Compare mode: drop two archives, see retar diff's report on them, the
// same text the command line prints. The first archive is A, the second B.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const zone = $('compare-zone'), input = $('compare-input'), files = $('compare-files');
  const statusLine = $('compare-status'), report = $('compare-report');
  let running = false;

  const verdicts = {
    true: 'A and B hold the same images.',
    false: 'A and B differ:',
  };

  async function compare(list) {
    if (running) return;
    if (list.length !== 2) {
      statusLine.textContent = `Drop two archives to compare (${list.length === 1 ? 'one was' : `${list.length} were`} given).`;
      report.hidden = true;
      return;
    }
    running = true;
    statusLine.textContent = `Comparing ${list[0].name} (A) with ${list[1].name} (B)…`;
    report.hidden = true;
    try {
      await window.retar.ready;
      const r = await window.retar.diff(list[0], list[1], { files: files.checked });
      statusLine.textContent = `${verdicts[r.equal]} delta A→B: ${r.delta.blobs} blobs.`;
      report.textContent = r.text;
      report.hidden = false;
    } catch (err) {
      statusLine.textContent = `Could not compare them: ${err.message}`;
    } finally {
      running = false;
    }
  }

  dropZone(zone, input, compare);
})();

// dropZone makes zone a place to drop files on, or to press Enter or Space
// on to pick them with input (a hidden <input type=file>); onFiles gets
// each choice as a list of Files. The page's main zone also takes folders
// and keeps its own (app.js); the smaller tools below it share this one.
function dropZone(zone, input, onFiles) {
  input.addEventListener('change', () => {
    const files = Array.from(input.files);
    input.value = '';
    onFiles(files);
  });
  zone.addEventListener('keydown', (ev) => {
    if (ev.target === zone && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); input.click(); }
  });
  for (const t of ['dragenter', 'dragover']) {
    zone.addEventListener(t, (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy';
      zone.classList.add('over');
    });
  }
  zone.addEventListener('dragleave', (ev) => {
    if (!zone.contains(ev.relatedTarget)) zone.classList.remove('over');
  });
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    zone.classList.remove('over');
    onFiles(Array.from((ev.dataTransfer && ev.dataTransfer.files) || []));
  });
}

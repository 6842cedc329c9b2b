(() => {
  // Every text of every drawn plotly chart that leaves its chart, and every pair where a title-like text (chart title,
  // axis title, legend entry, colour-bar title, annotation, the mode bar) overlaps another text by more than 1 px each way.
  const TITLE = ".gtitle, .g-xtitle text, .g-ytitle text, .g-x2title text, .g-y2title text, .legendtext, .legendtitletext, " +
                ".annotation-text, .cbtitle text";
  const ANY = TITLE + ", .xtick text, .ytick text, .x2tick text, .y2tick text, .cbaxis text";
  const out = [];
  const vis = (e) => { const r = e.getBoundingClientRect(); return e.textContent.trim() && r.width > 0 && r.height > 0; };
  document.querySelectorAll(".js-plotly-plot").forEach((p) => {
    const box = p.getBoundingClientRect();
    const titles = new Set(Array.from(p.querySelectorAll(TITLE)));
    const els = Array.from(p.querySelectorAll(ANY + ", .modebar")).filter((e) => e.classList.contains("modebar") || vis(e));
    p.querySelectorAll(".modebar").forEach((e) => titles.add(e));
    const rects = els.map((e) => e.getBoundingClientRect());
    els.forEach((e, i) => {
      const r = rects[i];
      const out_of = r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1;
      if (out_of && !e.classList.contains("modebar")) {
        out.push([p.id, "outside", e.textContent.slice(0, 60)]);
      }
      for (let j = i + 1; j < els.length; j++) {
        if (!titles.has(e) && !titles.has(els[j])) { continue; }
        const q = rects[j];
        const dx = Math.min(r.right, q.right) - Math.max(r.left, q.left), dy = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
        if (dx > 1 && dy > 1) { out.push([p.id, "overlap", e.textContent.slice(0, 60), els[j].textContent.slice(0, 60)]); }
      }
    });
  });
  return out;
})()

// ipledger platform: the only script. It polls a running audit's progress and reloads the
// page when the audit ends; every page works without it.
"use strict";
(function () {
  const box = document.getElementById("audit-status");
  if (!box || box.dataset.state !== "running") return;
  const bar = document.getElementById("audit-progress");
  const elapsed = document.getElementById("audit-elapsed");
  async function poll() {
    try {
      const r = await fetch("/audit/status", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!r.ok) return;
      const s = await r.json();
      if (s.state !== "running") { window.location.reload(); return; }
      if (bar) bar.value = s.estimate;
      if (elapsed) elapsed.textContent = s.elapsed_s + " s";
    } catch (e) { /* the next poll tries again */ }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();

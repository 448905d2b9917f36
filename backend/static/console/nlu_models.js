// The "Model bot" page (backend/console/nlu_models.py): a running training's
// progress bar and stage follow the trainer worker without a reload.
//
// console.js turns each SSE event of topic "training" into a
// "konsol:training" event on document; its detail is
// {id, state: queued|running|done|failed, stage, progress 0..1}.
// A training that ends (done/failed) brings a model, an error or a log the
// page does not have: the page is reloaded, rendered by the server. So is a
// training this page does not list yet, and any deploy or rollback ("konsol:model").
(function () {
  "use strict";

  var STATES = { queued: "menunggu", running: "berjalan", done: "selesai", failed: "gagal" };
  var reloading = false;

  // A form this page just sent (Latih model, Pasang, Kembalikan) announces its
  // own change over SSE before its answer arrives: reloading then would cancel
  // the form's navigation and lose its notice. The answer is a fresh page anyway.
  // (If the form was cancelled after all, e.g. its confirm question, live
  // reloads resume shortly.)
  document.addEventListener("submit", function () {
    reloading = true;
    window.setTimeout(function () { reloading = false; }, 10000);
  });

  function reload() {
    if (reloading) return;
    reloading = true;
    // Without the query: a notice of an earlier action must not show again.
    window.location.replace(window.location.pathname);
  }

  function percent(value) {
    return (Math.round(value * 1000) / 10).toFixed(1).replace(".", ",") + "%";
  }

  function part(item, role) {
    return item.querySelector('[data-role="' + role + '"]');
  }

  function show(item, detail) {
    var progress = Math.max(0, Math.min(1, Number(detail.progress) || 0));
    item.setAttribute("data-state", detail.state);
    var state = part(item, "state");
    if (state) {
      state.textContent = STATES[detail.state] || detail.state;
      state.className = "state state-" + detail.state;
    }
    var line = part(item, "progress-line");
    if (line) line.hidden = detail.state !== "running";
    var bar = part(item, "progress");
    if (bar) {
      bar.value = progress;
      bar.textContent = percent(progress);
    }
    var shown = part(item, "percent");
    if (shown) shown.textContent = percent(progress);
    var stage = part(item, "stage");
    if (stage) stage.textContent = detail.stage || "";
  }

  document.addEventListener("konsol:training", function (event) {
    var detail = event.detail || {};
    if (detail.state === "done" || detail.state === "failed") return reload();
    var item = document.querySelector('[data-training="' + Number(detail.id) + '"]');
    if (!item) return reload();
    show(item, detail);
  });

  document.addEventListener("konsol:model", reload);
})();

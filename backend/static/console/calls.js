// The 112 call page (backend/console/calls.py): the queue refreshes live.
//
// A caller reaching the queue files an incident in the same transaction, so
// the SSE topic "incident" (console.js dispatches it as "konsol:incident")
// says when the queue, the dropped calls or the last calls changed. The
// lists are refetched as HTML the server rendered (?part=list) — what a
// caller said is escaped there, never built here. incidents.js, loaded on
// the same page, ticks the waiting times and shows the alert banner.
(function () {
  "use strict";

  function fetchPart(url) { return window.konsol.part(url); }

  function queue(holder) {
    var pending = null;
    var fresh = {};
    function refresh() {
      pending = null;
      fetchPart("/console/panggilan?part=list").then(function (html) {
        holder.innerHTML = html;
        Object.keys(fresh).forEach(function (id) {
          var item = holder.querySelector('#queue [data-incident-id="' + id + '"]');
          if (item) item.classList.add("fresh");
        });
        fresh = {};
      }).catch(function () { /* the next event, or a reload, brings it */ });
    }
    document.addEventListener("konsol:incident", function (event) {
      var detail = event.detail || {};
      if (detail.change === "sent") return; // a delivery changes no call
      if (detail.change === "created") fresh[detail.incident_id] = true;
      if (!pending) pending = window.setTimeout(refresh, 100);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("call-list");
    if (holder) queue(holder);
  });
})();

// The department's queue and one ticket (backend/console/tickets.py): live
// refreshes only.
//
// console.js turns each SSE event of topic "ticket" into a "konsol:ticket"
// event on document; its detail is
// {service_request_id, change: created|status|question|answer|closure|reopen|..., department}.
// The pages refetch their live part as HTML rendered by the server
// (?part=list, ?part=history): escaped there, never built here from what a
// citizen wrote. The filter form and the note are outside the parts, so
// nothing being typed is lost.
(function () {
  "use strict";

  function fetchPart(url) { return window.konsol.part(url); }

  function withPart(url, part) {
    return url + (url.indexOf("?") === -1 ? "?" : "&") + "part=" + part;
  }

  function queue(holder) {
    var pending = null;
    var fresh = {};
    function refresh() {
      pending = null;
      var url = holder.getAttribute("data-part-url") || "/console/tickets";
      fetchPart(withPart(url, "list")).then(function (html) {
        holder.innerHTML = html;
        Object.keys(fresh).forEach(function (id) {
          var row = holder.querySelector('tr[data-ticket="' + id + '"]');
          if (row) row.classList.add("fresh");
        });
        fresh = {};
      }).catch(function () { /* the next event, or a reload, brings it */ });
    }
    document.addEventListener("konsol:ticket", function (event) {
      var detail = event.detail || {};
      var id = String(detail.service_request_id || "");
      if (detail.change === "created" && /^[A-Za-z0-9-]+$/.test(id)) fresh[id] = true;
      // Several events at once (a busy morning): one refetch.
      if (!pending) pending = window.setTimeout(refresh, 150);
    });
  }

  function ticket(holder) {
    var mine = holder.getAttribute("data-ticket");
    var status = holder.getAttribute("data-status");
    var leaving = false; // the status form is being sent: its answer is the next page
    document.addEventListener("submit", function (event) {
      window.setTimeout(function () { if (!event.defaultPrevented) leaving = true; }, 0);
    });
    function typing() {
      return ["note", "question"].some(function (id) {
        var field = document.getElementById(id);
        return !!(field && field.value);
      });
    }
    document.addEventListener("konsol:ticket", function (event) {
      var detail = event.detail || {};
      if (String(detail.service_request_id) !== mine) return;
      fetchPart(window.location.pathname + "?part=history").then(function (html) {
        holder.innerHTML = html;
        var part = holder.querySelector(".history-part");
        if (!part || leaving) return;
        if (part.getAttribute("data-status") !== status) {
          // Other statuses apply now: reload (without this page's own notice, e.g.
          // "status sudah diubah", which no longer describes it), unless that would
          // lose a note being written.
          if (!typing()) { window.location.replace(window.location.pathname); return; }
          var changed = document.getElementById("changed");
          if (changed) changed.hidden = false;
        }
      }).catch(function () { /* the next event, or a reload, brings it */ });
    });
    var reload = document.getElementById("reload");
    if (reload) reload.addEventListener("click", function () { window.location.reload(); });
  }

  // "Sisipkan balasan": a department's canned reply (console/replies.py) goes
  // into the status note, after what is written there already, to be edited.
  function cannedReplies(select) {
    select.addEventListener("change", function () {
      var chosen = select.options[select.selectedIndex];
      var text = chosen ? chosen.getAttribute("data-text") : "";
      var note = document.getElementById("note");
      if (!text || !note) return;
      note.value = note.value.trim() ? note.value.replace(/\s+$/, "") + "\n" + text : text;
      select.selectedIndex = 0;
      note.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Every filter in view on a wide screen; on a phone the search comes first.
    var more = document.getElementById("more-filters");
    if (more && window.matchMedia && window.matchMedia("(min-width: 641px)").matches) more.open = true;
    var list = document.getElementById("ticket-list");
    if (list) queue(list);
    var canned = document.getElementById("insert-reply");
    if (canned) cannedReplies(canned);
    var one = document.getElementById("ticket-live");
    if (one) ticket(one);
  });
})();

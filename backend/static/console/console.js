// The city console's only script (no framework, no build step).
//
// Live updates: a page that shows live data has an element with
// data-live-topics="topic ...". One EventSource per page listens to
// /console/events; the browser reconnects by itself and sends the last
// event id it saw (Last-Event-ID), so the server replays what was missed.
// Each event is re-dispatched on `document` as "konsol:<topic>" with the
// event's data in `detail`, for the page's own script to show.
(function () {
  "use strict";

  function startLive() {
    var holder = document.querySelector("[data-live-topics]");
    if (!holder || !window.EventSource) return;
    var topics = holder.getAttribute("data-live-topics").split(/\s+/).filter(Boolean);
    var state = document.querySelector("[data-live-state]");
    // The page says which event its data already includes (data-live-after):
    // the stream starts after it, so nothing between drawing and connecting is lost.
    var url = "/console/events?topics=" + encodeURIComponent(topics.join(","));
    var after = holder.getAttribute("data-live-after");
    if (after && /^\d+$/.test(after)) url += "&after=" + after;
    var source = new EventSource(url);
    function show(name, text) {
      if (!state) return;
      state.setAttribute("data-state", name);
      state.textContent = text;
    }
    source.onopen = function () { show("open", "Terhubung langsung"); };
    source.onerror = function () { show("retry", "Menyambung ulang…"); };
    topics.forEach(function (topic) {
      source.addEventListener(topic, function (event) {
        var detail;
        try { detail = JSON.parse(event.data); } catch (e) { return; }
        detail._id = event.lastEventId;
        document.dispatchEvent(new CustomEvent("konsol:" + topic, { detail: detail }));
      });
    });
    // Signed out elsewhere: stop retrying and show the login page.
    source.addEventListener("signed-out", function () {
      source.close();
      window.location.href = "/console/login?next=" + encodeURIComponent(location.pathname + location.search);
    });
  }

  // <button data-confirm="Yakin?">: ask before a form that cannot be undone.
  function confirmButtons() {
    document.addEventListener("submit", function (event) {
      var button = event.submitter;
      var question = button && button.getAttribute("data-confirm");
      if (question && !window.confirm(question)) event.preventDefault();
    });
  }

  window.konsol = {
    csrf: function () {
      var meta = document.querySelector('meta[name="csrf-token"]');
      return meta ? meta.getAttribute("content") : "";
    },
    // A page's part (?part=...) as the server rendered it. A signed-out session
    // answers with a redirect to the login page: that is not a part.
    part: function (url) {
      return fetch(url, { credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok || response.type === "opaqueredirect") throw new Error("no part");
          return response.text();
        });
    },
    // Text into an element, never markup: what citizens wrote stays text.
    text: function (tag, value, className) {
      var el = document.createElement(tag);
      el.textContent = value == null ? "" : String(value);
      if (className) el.className = className;
      return el;
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    startLive();
    confirmButtons();
  });
})();

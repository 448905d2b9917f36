// The conversation viewer's live updates (backend/console/conversations.py).
//
// console.js turns each SSE event of topic "conversation" into a
// "konsol:conversation" event on document; its detail is what the pipeline
// publishes: {conversation_id, sender_key, kind, text, intent, confidence,
// at, event_id (or id), channel, origin}, any of which may be missing.
// Everything a citizen wrote goes in as text (textContent), never markup.
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];
  var MONTHS_LONG = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
    "September", "Oktober", "November", "Desember"];
  var DAYS = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];
  var CHANNELS = { whatsapp: "WhatsApp", socketio: "Web", webchat: "Web", rest: "Web", voice: "Telepon" };
  var ORIGINS = { bot: "Bot", city: "Pemberitahuan kota", operator: "Operator 112" };
  var WIB_MS = 7 * 3600 * 1000; // Kediri is UTC+7 all year: read the shifted date with getUTC*

  function el(tag, value, cls) { return window.konsol.text(tag, value, cls); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function parse(iso) {
    var d = iso ? new Date(iso) : new Date();
    return isNaN(d.getTime()) ? new Date() : d;
  }
  function wib(d) { return new Date(d.getTime() + WIB_MS); }
  function hm(d) { var w = wib(d); return pad(w.getUTCHours()) + "." + pad(w.getUTCMinutes()); }
  function full(d) {
    var w = wib(d);
    return w.getUTCDate() + " " + MONTHS[w.getUTCMonth()] + " " + w.getUTCFullYear() + " " + hm(d);
  }
  function dayKey(d) {
    var w = wib(d);
    return w.getUTCFullYear() + "-" + pad(w.getUTCMonth() + 1) + "-" + pad(w.getUTCDate());
  }
  function dayLong(d) {
    var w = wib(d);
    return DAYS[w.getUTCDay()] + ", " + w.getUTCDate() + " " + MONTHS_LONG[w.getUTCMonth()] + " " + w.getUTCFullYear();
  }
  function timeEl(d, text) {
    var t = el("time", text);
    t.setAttribute("datetime", d.toISOString());
    t.title = full(d) + " WIB";
    return t;
  }
  function eventId(detail) {
    var id = detail.event_id != null ? detail.event_id : detail.id;
    return id != null && /^\d+$/.test(String(id)) ? String(id) : null;
  }
  function channelLabel(raw) { return raw ? (CHANNELS[String(raw).toLowerCase()] || String(raw)) : "-"; }
  function bump(scope, kind) {
    var counter = scope.querySelector('[data-count="' + kind + '"]');
    if (counter) counter.textContent = String((parseInt(counter.textContent, 10) || 0) + 1);
  }
  function setLast(scope, d, suffix) {
    var cell = scope.querySelector('[data-field="last"]');
    if (!cell) return;
    cell.textContent = "";
    cell.appendChild(timeEl(d, full(d)));
    if (suffix) cell.appendChild(document.createTextNode(suffix));
  }
  function flash(node) {
    node.classList.remove("fresh");
    void node.offsetWidth; // restart the highlight
    node.classList.add("fresh");
  }

  // -- one transcript --------------------------------------------------------

  function message(detail, d) {
    var kind = detail.kind;
    var li;
    if (kind === "session") {
      li = el("li", "", "ev-session");
      var span = el("span", "Sesi baru dimulai · ");
      span.appendChild(timeEl(d, hm(d)));
      li.appendChild(span);
      return li;
    }
    if (kind === "action") {
      li = el("li", "", "ev-action");
      li.appendChild(timeEl(d, hm(d)));
      li.appendChild(document.createTextNode(" aksi: "));
      li.appendChild(el("code", detail.action || detail.text || "-"));
      return li;
    }
    if (kind !== "user" && kind !== "bot") return null;
    var origin = kind === "user" ? "user" : (ORIGINS[detail.origin] ? detail.origin : "bot");
    li = el("li", "", "msg msg-" + origin);
    var meta = el("div", "", "meta");
    meta.appendChild(el("span", kind === "user" ? "Warga" : ORIGINS[origin], "who"));
    meta.appendChild(document.createTextNode(" · "));
    meta.appendChild(timeEl(d, hm(d)));
    li.appendChild(meta);
    if (detail.text) li.appendChild(el("p", detail.text, "text"));
    if (kind === "user" && detail.intent) {
      var nlu = el("div", "maksud ", "nlu");
      nlu.appendChild(el("code", detail.intent));
      if (typeof detail.confidence === "number") {
        nlu.appendChild(document.createTextNode(" · " + Math.round(detail.confidence * 100) + "%"));
      }
      li.appendChild(nlu);
    }
    if (kind === "user" && Array.isArray(detail.entities) && detail.entities.length) {
      var tags = el("ul", "", "entities");
      detail.entities.forEach(function (e) {
        if (e && e.entity) tags.appendChild(el("li", e.entity + ": " + (e.value == null ? "" : e.value), "tag"));
      });
      li.appendChild(tags);
    }
    return li;
  }

  function transcript(chat) {
    var mine = chat.getAttribute("data-conversation-id");
    var details = document.querySelector(".details");
    document.addEventListener("konsol:conversation", function (event) {
      var detail = event.detail || {};
      if (String(detail.conversation_id) !== mine) return;
      var id = eventId(detail);
      // A resumed stream may replay what the page already shows.
      if (id && chat.querySelector('[data-event-id="' + id + '"]')) return;
      var d = parse(detail.at);
      var li = message(detail, d);
      if (!li) return;
      if (id) li.setAttribute("data-event-id", id);
      var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
      var days = chat.querySelectorAll(".ev-day");
      var key = dayKey(d);
      if (!days.length || days[days.length - 1].getAttribute("data-day") !== key) {
        var day = el("li", "", "ev-day");
        day.setAttribute("data-day", key);
        day.appendChild(el("span", dayLong(d)));
        chat.appendChild(day);
      }
      chat.appendChild(li);
      var empty = document.getElementById("chat-empty");
      if (empty) empty.remove();
      if (li.classList.contains("msg")) flash(li);
      if (details) {
        if (detail.kind === "user" || detail.kind === "bot") bump(details, detail.kind);
        setLast(details, d, " WIB");
      }
      if (atBottom) li.scrollIntoView({ block: "end" });
    });
  }

  // -- the list of recent conversations --------------------------------------

  function newRow(cid, detail, d) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-conversation-id", String(cid));
    tr.setAttribute("data-live", "");
    var first = el("td", "");
    first.setAttribute("data-label", "Percakapan");
    var box = el("div", "");
    var link = el("a", "#" + cid);
    link.href = "/console/conversations/" + cid;
    box.appendChild(link);
    box.appendChild(el("div", detail.sender_key || "", "key small"));
    first.appendChild(box);
    tr.appendChild(first);
    function cell(label, field, child) {
      var td = el("td", "");
      td.setAttribute("data-label", label);
      if (field) td.setAttribute("data-field", field);
      if (child) td.appendChild(child);
      tr.appendChild(td);
      return td;
    }
    cell("Kanal", null, document.createTextNode(channelLabel(detail.channel)));
    cell("Dimulai", null, timeEl(d, full(d)));
    cell("Aktivitas terakhir", "last", timeEl(d, full(d)));
    var counts = el("span", "");
    counts.appendChild(el("span", "0")).setAttribute("data-count", "user");
    counts.appendChild(document.createTextNode("/"));
    counts.appendChild(el("span", "0")).setAttribute("data-count", "bot");
    cell("Pesan", "counts", counts);
    cell("Pesan pertama", "preview", el("span", "-", "muted")).className = "preview";
    return tr;
  }

  function list(rows) {
    document.addEventListener("konsol:conversation", function (event) {
      var detail = event.detail || {};
      var cid = parseInt(detail.conversation_id, 10);
      if (!(cid > 0)) return;
      var d = parse(detail.at);
      var row = rows.querySelector('tr[data-conversation-id="' + cid + '"]');
      if (!row) row = newRow(cid, detail, d);
      // Counted already if the server rendered the row after this event.
      var rendered = row.querySelector('[data-field="last"] time');
      var known = rendered && !row.hasAttribute("data-live") ? new Date(rendered.getAttribute("datetime")) : null;
      if (!(known && d.getTime() <= known.getTime())) {
        if (detail.kind === "user" || detail.kind === "bot") bump(row, detail.kind);
        setLast(row, d);
        var preview = row.querySelector('[data-field="preview"]');
        if (preview && detail.kind === "user" && detail.text && preview.querySelector(".muted")) {
          preview.textContent = String(detail.text).replace(/\s+/g, " ").slice(0, 120);
        }
      }
      row.setAttribute("data-live", "");
      rows.insertBefore(row, rows.firstChild);
      var empty = document.getElementById("convo-empty");
      if (empty) empty.remove();
      flash(row);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.konsol) return;
    var chat = document.getElementById("chat");
    if (chat) transcript(chat);
    var rows = document.getElementById("convo-rows");
    if (rows && rows.hasAttribute("data-live-topics")) list(rows);
  });
})();

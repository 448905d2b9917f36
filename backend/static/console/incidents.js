// The 112 operators' pages (backend/console/incidents.py): alerts with sound,
// elapsed timers, and live refreshes of the board and of one incident.
//
// console.js turns each SSE event of topic "incident" into a
// "konsol:incident" event on document; its detail is
// {incident_id, change: created|updated|accepted|resolved|escalated|message, kind}.
// The pages are refreshed by fetching their live part as HTML rendered by the
// server (?part=list, ?part=timeline) — escaped there, never built here from
// what a citizen wrote.
//
// Sound: browsers play audio only after a user gesture. The "Mulai bertugas"
// click is that gesture; the page it leads to is a new document, so there the
// AudioContext starts suspended and a one-click "Aktifkan suara" button is
// shown (any click or key on the page unlocks it too).
(function () {
  "use strict";

  var SOUND_FLAG = "konsol-112-suara"; // sessionStorage: this tab started a shift
  var REPEAT_MS = 10000; // an escalated incident nobody accepted sounds again
  var NEW_PATTERN = [[880, 0.18], [660, 0.18], [880, 0.18], [660, 0.18]];
  var ESCALATED_PATTERN = [[988, 0.14], [740, 0.14], [988, 0.14], [740, 0.14], [988, 0.14], [740, 0.3]];

  var audio = null;
  var labels = {};
  var onShift = false;
  var escalatedOpen = {}; // incident id -> true while escalated and not accepted
  var flashing = null;
  var baseTitle = document.title;

  function el(tag, value, cls) { return window.konsol.text(tag, value, cls); }

  // -- sound -------------------------------------------------------------------

  function wantsSound() {
    var flagged = false;
    try { flagged = window.sessionStorage.getItem(SOUND_FLAG) === "1"; } catch (e) { flagged = false; }
    return onShift || flagged;
  }

  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) {
      audio = new Ctx();
      audio.onstatechange = updateSwitch;
    }
    return audio;
  }

  function unlock() {
    var ctx = audioContext();
    var resumed = ctx && ctx.state !== "running" && ctx.resume ? ctx.resume() : Promise.resolve();
    updateSwitch();
    return resumed.then(updateSwitch, updateSwitch);
  }

  function updateSwitch() {
    var box = document.getElementById("sound-switch");
    if (!box) return;
    var running = audio && audio.state === "running";
    box.hidden = !wantsSound() || !!running;
    document.body.setAttribute("data-sound", running ? "on" : "off");
  }

  function beep(pattern, name) {
    if (!audio || audio.state !== "running") return false;
    var t = audio.currentTime + 0.02;
    pattern.forEach(function (note) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + note[1]);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(t);
      osc.stop(t + note[1] + 0.03);
      t += note[1] + 0.07;
    });
    // Counted for the browser tests (a sound cannot be heard there).
    var counter = "data-beeps-" + name;
    var count = parseInt(document.body.getAttribute(counter), 10) || 0;
    document.body.setAttribute(counter, String(count + 1));
    return true;
  }

  // -- the alert banner and the title -----------------------------------------

  function banner() { return document.getElementById("incident-alert"); }

  function showAlert(detail, escalated) {
    var box = banner();
    var id = String(detail.incident_id);
    if (!box || !/^\d+$/.test(id)) return;
    var old = box.querySelector('[data-incident-id="' + id + '"]');
    if (old) old.remove();
    var label = labels[detail.kind] || "Darurat";
    var item = el("div", "", "alert-item" + (escalated ? " escalated" : ""));
    item.setAttribute("data-incident-id", id);
    item.appendChild(el("strong", escalated ? "Belum diterima siapa pun! " : "Kejadian darurat baru: "));
    var link = el("a", label + " #" + id + " — buka");
    link.href = "/console/incidents/" + id;
    item.appendChild(link);
    var close = el("button", "Tutup", "link");
    close.type = "button";
    close.setAttribute("aria-label", "Tutup peringatan kejadian #" + id);
    close.addEventListener("click", function () { item.remove(); afterBannerChange(); });
    item.appendChild(close);
    box.insertBefore(item, box.firstChild);
    afterBannerChange();
    flashTitle(escalated ? "‼ ESKALASI " + label : "⚠ " + label + " — DARURAT BARU");
  }

  function dropAlert(id) {
    var box = banner();
    var item = box && box.querySelector('[data-incident-id="' + id + '"]');
    if (item) item.remove();
    afterBannerChange();
  }

  function afterBannerChange() {
    var box = banner();
    var any = box && box.children.length > 0;
    if (box) box.classList.toggle("on", !!any);
    if (!any) stopFlash();
  }

  function flashTitle(text) {
    stopFlash();
    var on = false;
    flashing = window.setInterval(function () {
      on = !on;
      document.title = on ? text : baseTitle;
    }, 800);
    document.title = text;
  }

  function stopFlash() {
    if (flashing) window.clearInterval(flashing);
    flashing = null;
    document.title = baseTitle;
  }

  // -- elapsed timers ------------------------------------------------------------

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function elapsed(since) {
    var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  function tick() {
    var cells = document.querySelectorAll("[data-elapsed-from]");
    for (var i = 0; i < cells.length; i++) {
      var since = Date.parse(cells[i].getAttribute("data-elapsed-from"));
      if (!isNaN(since)) cells[i].textContent = elapsed(since);
    }
  }

  // -- live refreshes --------------------------------------------------------------

  function fetchPart(url) { return window.konsol.part(url); }

  function markSeen(id) {
    if (!onShift) return;
    fetch("/console/incidents/" + id + "/seen", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": window.konsol.csrf(), Accept: "application/json" }
    }).catch(function () { /* only a record: the alert is shown anyway */ });
  }

  function seedEscalated(scope) {
    var rows = scope.querySelectorAll('[data-escalated="1"][data-state="open"]');
    for (var i = 0; i < rows.length; i++) escalatedOpen[rows[i].getAttribute("data-incident-id")] = true;
  }

  function board(holder) {
    var pending = null;
    var fresh = {};
    function refresh() {
      pending = null;
      fetchPart("/console/incidents?part=list").then(function (html) {
        holder.innerHTML = html;
        escalatedOpen = {};
        seedEscalated(holder);
        Object.keys(fresh).forEach(function (id) {
          var row = holder.querySelector('tr[data-incident-id="' + id + '"]');
          if (row) row.classList.add("fresh");
        });
        fresh = {};
        tick();
      }).catch(function () { /* the next event, or a reload, brings it */ });
    }
    document.addEventListener("konsol:incident", function (event) {
      var detail = event.detail || {};
      if (detail.change === "sent") return; // a delivery changes the incident's page, not the board
      if (detail.change === "created" || detail.change === "escalated") fresh[detail.incident_id] = true;
      if (!pending) pending = window.setTimeout(refresh, 100);
    });
  }

  function incident(holder) {
    var mine = holder.getAttribute("data-incident-id");
    var state = holder.getAttribute("data-state");
    var owner = holder.getAttribute("data-owner");
    if (holder.querySelector(".summary.escalated")) escalatedOpen[mine] = true;
    var leaving = false; // a form of this page is being sent: its answer is the next page
    document.addEventListener("submit", function (event) {
      window.setTimeout(function () { if (!event.defaultPrevented) leaving = true; }, 0);
    });
    function typing() {
      var fields = document.querySelectorAll(".incident-actions textarea, .incident-actions select");
      for (var i = 0; i < fields.length; i++) if (fields[i].value) return true;
      return false;
    }
    document.addEventListener("konsol:incident", function (event) {
      var detail = event.detail || {};
      if (String(detail.incident_id) !== mine) return;
      fetchPart("/console/incidents/" + mine + "?part=timeline").then(function (html) {
        holder.innerHTML = html;
        tick();
        var part = holder.querySelector(".timeline-part");
        if (!part) return;
        if (leaving) return;
        if (part.getAttribute("data-state") !== state || part.getAttribute("data-owner") !== owner) {
          // Other buttons apply now: reload, unless that would lose what is being typed.
          if (!typing()) { window.location.reload(); return; }
          var changed = document.getElementById("changed");
          if (changed) changed.hidden = false;
        }
      }).catch(function () { /* the next event, or a reload, brings it */ });
    });
    var reload = document.getElementById("reload");
    if (reload) reload.addEventListener("click", function () { window.location.reload(); });
  }

  function alerts() {
    document.addEventListener("konsol:incident", function (event) {
      var detail = event.detail || {};
      var id = String(detail.incident_id);
      if (detail.change === "created") {
        showAlert(detail, false);
        beep(NEW_PATTERN, "new");
        markSeen(id);
      } else if (detail.change === "escalated") {
        escalatedOpen[id] = true;
        showAlert(detail, true);
        beep(ESCALATED_PATTERN, "escalated");
      } else if (detail.change === "accepted" || detail.change === "resolved") {
        delete escalatedOpen[id];
        dropAlert(id);
      }
    });
    window.setInterval(function () {
      if (Object.keys(escalatedOpen).length) beep(ESCALATED_PATTERN, "escalated");
    }, REPEAT_MS);
  }

  function shiftButtons() {
    var start = document.getElementById("start-shift");
    if (start) {
      start.addEventListener("click", function () {
        try { window.sessionStorage.setItem(SOUND_FLAG, "1"); } catch (e) { /* private mode */ }
        unlock(); // inside the click: the gesture that allows sound
      });
    }
    var endForm = document.getElementById("end-shift-form");
    if (endForm) {
      endForm.addEventListener("submit", function (event) {
        if (event.defaultPrevented) return; // the confirm was declined
        try { window.sessionStorage.removeItem(SOUND_FLAG); } catch (e) { /* private mode */ }
      });
    }
    var on = document.getElementById("sound-on");
    if (on) {
      on.addEventListener("click", function () {
        unlock().then(function () { beep([[880, 0.12]], "test"); });
      });
    }
    // Any gesture on the page unlocks the sound as well.
    function anyGesture() {
      if (wantsSound()) unlock();
      if (audio && audio.state === "running") {
        document.removeEventListener("pointerdown", anyGesture, true);
        document.removeEventListener("keydown", anyGesture, true);
      }
    }
    document.addEventListener("pointerdown", anyGesture, true);
    document.addEventListener("keydown", anyGesture, true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.konsol) return;
    var box = banner();
    if (box) {
      onShift = box.getAttribute("data-on-shift") === "1";
      try { labels = JSON.parse(box.getAttribute("data-type-labels") || "{}"); } catch (e) { labels = {}; }
    }
    if (wantsSound()) audioContext(); // suspended until a gesture, in most browsers
    updateSwitch();
    shiftButtons();
    alerts();
    var list = document.getElementById("incident-list");
    if (list) { seedEscalated(list); board(list); }
    var one = document.getElementById("incident-live");
    if (one) incident(one);
    tick();
    // Four times a second, so the shown seconds never lag a whole second behind.
    window.setInterval(tick, 250);
  });
})();

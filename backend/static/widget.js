/*
 * Lapor Mbak Wali 112: chat widget for the city's website.
 *
 * Embed with one tag:
 *   <script src="https://BACKEND/widget.js" data-server="https://RASA"
 *           data-title="Lapor Mbak Wali 112" data-color="#b71c1c" defer></script>
 *
 * Talks to the Rasa server's socket.io channel. The conversation id and the
 * transcript live in localStorage, so a reload or another page of the same
 * site continues the same conversation. Messages typed while offline wait in
 * a queue (shown as "menunggu koneksi") and are sent when the connection is
 * back; nothing is dropped silently.
 */
(function () {
  "use strict";
  if (window.LaporWidget) return; // embedded twice: keep the first

  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  var base = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var config = {
    server: script.getAttribute("data-server") || "http://localhost:5005",
    backend: script.getAttribute("data-backend") || base,
    title: script.getAttribute("data-title") || "Lapor Mbak Wali 112",
    color: script.getAttribute("data-color") || "#b71c1c",
  };
  var KEY = "lapor-widget:";
  var TEXT = {
    open: "Buka chat Lapor Mbak Wali",
    close: "Tutup chat",
    newChat: "Percakapan baru",
    placeholder: "Tulis pesan...",
    send: "Kirim",
    photo: "Kirim foto",
    location: "Kirim lokasi saya",
    typing: "Petugas virtual sedang mengetik...",
    connecting: "Menghubungkan...",
    online: "Terhubung",
    offline: "Tidak ada koneksi. Pesan akan dikirim saat koneksi kembali.",
    reconnecting: "Menghubungkan ulang...",
    queued: "menunggu koneksi",
    failed: "gagal dikirim",
    photoTooBig: "Foto terlalu besar (maksimal 5 MB).",
    photoType: "Yang dapat dikirim hanya foto (JPG, PNG, WEBP).",
    photoFailed: "Foto gagal diunggah. Silakan coba lagi.",
    noGeo: "Peramban tidak dapat mengambil lokasi. Silakan ketik alamatnya.",
    emergency: "Darurat? Telepon 112",
    welcome: "Halo! Ceritakan aduan Bapak/Ibu, atau ketik \"menu\".",
  };

  function load(name, fallback) {
    try { return JSON.parse(localStorage.getItem(KEY + name)) || fallback; } catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function newId() {
    return "web-" + (window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2));
  }

  var state = {
    session: load("session", null) || newId(),
    history: load("history", []),   // [{who, text, buttons, image, call, status, id}]
    queue: load("queue", []),       // [{id, message, metadata}]
    open: load("open", false),
  };
  save("session", state.session);

  // ---- DOM ---------------------------------------------------------------
  var css = "" +
    ".lw-button{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:28px;" +
    "padding:14px 18px;font:600 15px system-ui,sans-serif;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3)}" +
    ".lw-panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;width:370px;max-width:calc(100vw - 32px);" +
    "height:560px;max-height:calc(100vh - 32px);display:flex;flex-direction:column;background:#fff;border-radius:12px;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.35);font:15px/1.4 system-ui,sans-serif;color:#1d2939;overflow:hidden}" +
    ".lw-panel[hidden],.lw-button[hidden]{display:none}" +
    ".lw-head{color:#fff;padding:8px 12px;display:flex;flex-wrap:wrap;align-items:center;gap:4px 8px}" +
    ".lw-head h2{font-size:16px;margin:0;flex:1}" +
    ".lw-head .lw-bar{flex-basis:100%;display:flex;justify-content:space-between;align-items:center}" +
    ".lw-head button{background:transparent;border:1px solid rgba(255,255,255,.7);color:#fff;border-radius:6px;padding:4px 8px;cursor:pointer;font-size:13px}" +
    ".lw-state{font-size:12px;padding:4px 12px;background:#f2f4f7;color:#475467}" +
    ".lw-state[data-state=offline],.lw-state[data-state=reconnecting]{background:#fef3f2;color:#b42318}" +
    ".lw-log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px;background:#f9fafb}" +
    ".lw-msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}" +
    ".lw-user{align-self:flex-end;color:#fff}" +
    ".lw-bot{align-self:flex-start;background:#fff;border:1px solid #d0d5dd}" +
    ".lw-note{font-size:11px;opacity:.85;display:block;margin-top:2px}" +
    ".lw-choices{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start}" +
    ".lw-choices button{background:#fff;border:1px solid;border-radius:14px;padding:5px 10px;cursor:pointer;font-size:14px}" +
    ".lw-call{align-self:flex-start;background:#b42318;color:#fff;font-weight:700;border-radius:16px;padding:8px 14px;text-decoration:none}" +
    ".lw-img{max-width:70%;border-radius:8px;align-self:flex-start}" +
    ".lw-typing{font-size:12px;color:#667085;padding:0 12px 4px;min-height:16px}" +
    ".lw-form{display:flex;gap:4px;padding:8px;border-top:1px solid #eaecf0}" +
    ".lw-form input[type=text]{flex:1;min-width:0;font-size:16px;padding:8px;border:1px solid #98a2b3;border-radius:8px}" +
    ".lw-form button{border:0;border-radius:8px;padding:8px 10px;cursor:pointer;font-size:15px;background:#eaecf0}" +
    ".lw-form .lw-send{color:#fff}" +
    ".lw-panel :focus-visible{outline:3px solid #2e90fa;outline-offset:1px}" +
    "@media (max-width:600px){.lw-panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var launcher = el("button", { "class": "lw-button", type: "button", "aria-label": TEXT.open,
    "aria-haspopup": "dialog", "data-testid": "lw-open" }, "💬 " + config.title);
  launcher.style.background = config.color;
  var panel = el("section", { "class": "lw-panel", role: "dialog", "aria-modal": "false",
    "aria-label": config.title, hidden: "" });
  var head = el("div", { "class": "lw-head" });
  head.style.background = config.color;
  var title = el("h2", {}, config.title);
  var call = el("a", { href: "tel:112", "class": "lw-head-call", style: "color:#fff;font-size:13px" }, TEXT.emergency);
  var fresh = el("button", { type: "button", "data-testid": "lw-new" }, TEXT.newChat);
  var closer = el("button", { type: "button", "aria-label": TEXT.close }, "✕");
  var bar = el("div", { "class": "lw-bar" });
  bar.append(call, fresh);
  head.append(title, closer, bar);
  var status = el("div", { "class": "lw-state", role: "status", "aria-live": "polite", "data-state": "connecting" }, TEXT.connecting);
  var log = el("div", { "class": "lw-log", role: "log", "aria-live": "polite", "aria-label": "Percakapan", tabindex: "0" });
  var typing = el("div", { "class": "lw-typing", "aria-live": "polite" });
  var form = el("form", { "class": "lw-form" });
  var photo = el("button", { type: "button", "aria-label": TEXT.photo, title: TEXT.photo }, "📷 Foto");
  var file = el("input", { type: "file", accept: "image/jpeg,image/png,image/webp", hidden: "", "aria-label": TEXT.photo });
  var where = el("button", { type: "button", "aria-label": TEXT.location, title: TEXT.location }, "📍 Lokasi");
  var input = el("input", { type: "text", autocomplete: "off", placeholder: TEXT.placeholder, "aria-label": TEXT.placeholder });
  var send = el("button", { type: "submit", "class": "lw-send" }, TEXT.send);
  send.style.background = config.color;
  form.append(photo, file, where, input, send);
  panel.append(head, status, log, typing, form);

  // ---- rendering -----------------------------------------------------------
  function render(item) {
    var node;
    if (item.text) {
      node = el("div", { "class": "lw-msg " + (item.who === "user" ? "lw-user" : "lw-bot"), "data-id": item.id || "" });
      appendText(node, item.text);
      if (item.who === "user") node.style.background = config.color;
      if (item.status) node.appendChild(el("span", { "class": "lw-note" }, item.status));
      log.appendChild(node);
    }
    if (item.image) log.appendChild(el("img", { "class": "lw-img", src: item.image, alt: "gambar" }));
    if (item.call) log.appendChild(el("a", { "class": "lw-call", href: item.call.href }, "📞 " + item.call.label));
    if (item.buttons && item.buttons.length) {
      var row = el("div", { "class": "lw-choices", role: "group", "aria-label": "Pilihan" });
      item.buttons.forEach(function (b) {
        var choice = el("button", { type: "button" }, b.title);
        choice.style.borderColor = config.color;
        choice.style.color = config.color;
        choice.addEventListener("click", function () { say(b.payload, b.title); });
        row.appendChild(choice);
      });
      log.appendChild(row);
    }
    log.scrollTop = log.scrollHeight;
  }
  // The bot writes *bold* as WhatsApp does; show it bold, everything else as text.
  function appendText(node, text) {
    text.split(/(\*[^*\n]+\*)/).forEach(function (part) {
      if (/^\*[^*\n]+\*$/.test(part)) node.appendChild(el("strong", {}, part.slice(1, -1)));
      else if (part) node.appendChild(document.createTextNode(part));
    });
  }
  function remember(item) {
    state.history.push(item);
    state.history = state.history.slice(-200);
    save("history", state.history);
    render(item);
  }
  function redraw() {
    log.textContent = "";
    if (!state.history.length) render({ who: "bot", text: TEXT.welcome });
    state.history.forEach(render);
  }
  function markSent(id, note) {
    state.history.forEach(function (h) { if (h.id === id) h.status = note || ""; });
    save("history", state.history);
    var node = log.querySelector('[data-id="' + id + '"] .lw-note');
    if (node) node.textContent = note || "";
  }

  // ---- connection ----------------------------------------------------------
  var socket = null;
  function setState(name, text) {
    status.setAttribute("data-state", name);
    status.textContent = text;
  }
  function connect() {
    socket = window.io(config.server, { transports: ["websocket", "polling"], reconnection: true });
    setState("connecting", TEXT.connecting);
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.session });
    });
    socket.on("session_confirm", function () {
      setState("online", TEXT.online);
      flush();
    });
    socket.on("disconnect", function () { setState("offline", TEXT.offline); });
    socket.io.on("reconnect_attempt", function () { setState("reconnecting", TEXT.reconnecting); });
    socket.on("connect_error", function () { setState("offline", TEXT.offline); });
    socket.on("bot_uttered", function (reply) {
      typing.textContent = "";
      var item = { who: "bot", text: reply.text || "", buttons: reply.quick_replies || reply.buttons || [] };
      if (reply.attachment && reply.attachment.payload) item.image = reply.attachment.payload.src;
      if (reply.attachment && reply.attachment.type === "image" && !item.image) item.image = reply.attachment.payload;
      // The emergency call button arrives as {type: "call", href: "tel:112", label}.
      if (reply.type === "call" && reply.href) item.call = { href: reply.href, label: reply.label || "Telepon" };
      if (item.buttons && item.buttons.length) {
        item.buttons = item.buttons.map(function (b) { return { title: b.title, payload: b.payload }; });
      }
      if (item.text || item.image || item.call || (item.buttons && item.buttons.length)) remember(item);
    });
  }
  function online() { return socket && socket.connected && status.getAttribute("data-state") === "online"; }
  function flush() {
    while (state.queue.length && online()) {
      var next = state.queue.shift();
      save("queue", state.queue);
      transmit(next);
    }
  }
  function transmit(entry) {
    socket.emit("user_uttered", { message: entry.message, session_id: state.session, metadata: entry.metadata || {} });
    markSent(entry.id, "");
    typing.textContent = TEXT.typing;
    setTimeout(function () { if (typing.textContent === TEXT.typing) typing.textContent = ""; }, 15000);
  }

  // Every outgoing message goes through here: shown at once, sent now or queued.
  function say(message, shown, metadata) {
    var id = "m" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    var entry = { id: id, message: message, metadata: metadata || {} };
    remember({ who: "user", text: shown || message, id: id, status: online() ? "" : TEXT.queued });
    if (online()) transmit(entry);
    else { state.queue.push(entry); save("queue", state.queue); }
  }

  // ---- actions -------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text);
  });
  photo.addEventListener("click", function () { file.click(); });
  file.addEventListener("change", function () {
    var chosen = file.files && file.files[0];
    file.value = "";
    if (!chosen) return;
    if (["image/jpeg", "image/png", "image/webp"].indexOf(chosen.type) < 0) return remember({ who: "bot", text: TEXT.photoType });
    if (chosen.size > 5 * 1024 * 1024) return remember({ who: "bot", text: TEXT.photoTooBig });
    fetch(config.backend + "/api/v1/widget/media", { method: "POST", headers: { "Content-Type": chosen.type }, body: chosen })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) { say("/share_photo", "📷 foto terkirim", { media_urls: [body.url] }); })
      .catch(function () { remember({ who: "bot", text: TEXT.photoFailed }); });
  });
  where.addEventListener("click", function () {
    if (!navigator.geolocation) return remember({ who: "bot", text: TEXT.noGeo });
    navigator.geolocation.getCurrentPosition(function (p) {
      var point = { latitude: p.coords.latitude, longitude: p.coords.longitude };
      say("/share_location" + JSON.stringify(point), "📍 lokasi saya", { location: point });
    }, function () { remember({ who: "bot", text: TEXT.noGeo }); }, { enableHighAccuracy: true, timeout: 15000 });
  });
  function setOpen(open) {
    state.open = open;
    save("open", open);
    panel.hidden = !open;
    launcher.hidden = open;
    if (open) input.focus(); else launcher.focus();
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  closer.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });
  fresh.addEventListener("click", function () {
    state.session = newId();
    state.history = [];
    state.queue = [];
    save("session", state.session); save("history", []); save("queue", []);
    redraw();
    if (socket && socket.connected) socket.emit("session_request", { session_id: state.session });
    input.focus();
  });

  function start() {
    document.body.append(launcher, panel);
    redraw();
    panel.hidden = !state.open;
    launcher.hidden = state.open;
    if (window.io) return connect();
    var loader = document.createElement("script");
    loader.src = base + "/vendor/socket.io-4.8.1.min.js";
    loader.onload = connect;
    loader.onerror = function () { setState("offline", TEXT.offline); };
    document.head.appendChild(loader);
  }
  window.LaporWidget = { config: config, say: say, open: function () { setOpen(true); } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

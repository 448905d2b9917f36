/*
 * Lapor Mbak Wali 112: chat widget for the city's website.
 *
 * Embed with one tag:
 *   <script src="https://BACKEND/widget.js" data-server="https://RASA"
 *           data-title="Lapor Mbak Wali 112" data-color="#b71c1c" defer></script>
 *
 * Talks to the Rasa server's socket.io channel. The conversation id (issued
 * by the backend with a token that proves it) and the transcript live in
 * localStorage, so a reload or another page of the same site continues the
 * same conversation. The widget never makes a conversation id itself: the
 * socket joins a conversation only with its token (`session_request`), and
 * photo uploads carry both (X-Widget-Session, X-Widget-Token). When the
 * backend cannot issue one, the widget says so politely and offers to retry
 * instead of chatting; a token the backend refuses (403) is replaced by a
 * new session. Messages typed while offline wait in a queue (shown as
 * "menunggu koneksi") and are sent when the connection is back; nothing is
 * dropped silently.
 *
 * The city writes too (a ticket's status changed): such a message arrives
 * live as a bot message carrying a `stream_id`, and whatever arrived while
 * the page was closed is fetched from the backend on open and reconnect
 * (`after` = the last stream id shown). While the panel is closed, new
 * messages raise an unread badge on the launcher button.
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
    withOperator: "Terhubung dengan petugas 112 (manusia)",
    connecting: "Menghubungkan...",
    online: "Terhubung",
    offline: "Tidak ada koneksi. Pesan akan dikirim saat koneksi kembali.",
    reconnecting: "Menghubungkan ulang...",
    queued: "menunggu koneksi",
    failed: "gagal dikirim",
    photoTooBig: "Foto terlalu besar (maksimal 5 MB).",
    photoType: "Maaf, yang dapat dikirim hanya foto (JPG, PNG, WEBP).",
    photoUnreadable: "Maaf, foto tersebut tidak dapat dibaca. Silakan kirim foto JPG, PNG, atau WEBP yang lain.",
    photoLimit: "Maaf, Bapak/Ibu sudah mengirim banyak foto. Silakan coba lagi nanti.",
    photoFailed: "Foto gagal diunggah. Silakan coba lagi.",
    unavailable: "Mohon maaf, percakapan belum dapat dimulai karena layanan sedang sibuk atau terganggu. " +
      "Silakan coba lagi beberapa saat lagi, Bapak/Ibu. Dalam keadaan darurat, telepon 112.",
    unavailableState: "Layanan chat belum dapat dihubungi",
    retry: "Coba lagi",
    noGeo: "Peramban tidak dapat mengambil lokasi. Silakan ketik alamatnya.",
    emergency: "Darurat? Telepon 112",
    privacy: "Privasi",
    privacyLabel: "Pemberitahuan privasi (membuka tab baru)",
    welcome: "Halo! Ceritakan aduan Bapak/Ibu, atau ketik \"menu\".",
    unread: " pesan baru",
  };
  var PAGE = 100; // the backend's most messages per fetch: a full page means there may be more
  var RETRY_MS = 15000; // asking the backend for a session again, on its own

  // A local id for a shown message (never a conversation id: those come from the backend).
  function uid() {
    var bytes = new Uint8Array(8);
    window.crypto.getRandomValues(bytes); // available on plain-HTTP pages too
    return "m" + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function load(name, fallback) {
    try { return JSON.parse(localStorage.getItem(KEY + name)) || fallback; } catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  var state = {
    session: load("session", null), // issued by the backend, with its token
    token: load("token", null),
    last: load("last", "0"),        // the newest city message (stream id) shown
    unread: load("unread", 0),
    history: load("history", []),   // [{who, text, buttons, image, call, status, id, streamId}]
    queue: load("queue", []),       // [{id, message, metadata}]
    open: load("open", false),
  };
  // A session stored without a token was chosen in the browser by an older
  // widget. The backend issues tokens only for ids it made itself (otherwise
  // anyone who learned a conversation id could read what the city sends to
  // it), so such a session could never fetch its messages: it is replaced by a
  // new one on first open. The transcript stays; the bot starts afresh.
  if (state.session && !state.token) {
    state.session = null;
    save("session", null);
  }

  // ---- DOM ---------------------------------------------------------------
  var css = "" +
    ".lw-button{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:28px;" +
    "padding:14px 18px;font:600 15px system-ui,sans-serif;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.3)}" +
    ".lw-panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;width:370px;max-width:calc(100vw - 32px);" +
    "height:560px;max-height:calc(100vh - 32px);display:flex;flex-direction:column;background:#fff;border-radius:12px;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.35);font:15px/1.4 system-ui,sans-serif;color:#1d2939;overflow:hidden}" +
    ".lw-panel[hidden],.lw-button[hidden],.lw-badge[hidden]{display:none}" +
    ".lw-badge{position:absolute;top:-6px;right:-6px;min-width:22px;height:22px;padding:0 6px;box-sizing:border-box;" +
    "border-radius:11px;background:#fff;color:#b42318;border:2px solid #b42318;font:700 13px/18px system-ui,sans-serif}" +
    ".lw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".lw-head{color:#fff;padding:8px 12px;display:flex;flex-wrap:wrap;align-items:center;gap:4px 8px}" +
    ".lw-head h2{font-size:16px;margin:0;flex:1}" +
    ".lw-head .lw-bar{flex-basis:100%;display:flex;justify-content:space-between;align-items:center}" +
    ".lw-head .lw-privacy{color:#fff;font-size:13px;text-decoration:underline}" +
    ".lw-head button{background:transparent;border:1px solid rgba(255,255,255,.7);color:#fff;border-radius:6px;padding:4px 8px;cursor:pointer;font-size:13px}" +
    ".lw-state{font-size:12px;padding:4px 12px;background:#f2f4f7;color:#475467}" +
    ".lw-state[data-state=offline],.lw-state[data-state=reconnecting],.lw-state[data-state=error]{background:#fef3f2;color:#b42318}" +
    ".lw-alert{padding:10px 12px;background:#fef3f2;color:#7a271a;border-bottom:1px solid #fecdca;font-size:14px}" +
    ".lw-alert p{margin:0 0 8px}" +
    ".lw-alert button{border:0;border-radius:8px;padding:6px 12px;cursor:pointer;color:#fff;font-size:14px}" +
    ".lw-log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px;background:#f9fafb}" +
    ".lw-msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}" +
    ".lw-user{align-self:flex-end;color:#fff}" +
    ".lw-bot{align-self:flex-start;background:#fff;border:1px solid #d0d5dd}" +
    ".lw-note{font-size:11px;opacity:.85;display:block;margin-top:2px}" +
    ".lw-choices{display:flex;flex-wrap:wrap;gap:6px;align-self:flex-start}" +
    ".lw-choices button{background:#fff;border:1px solid;border-radius:14px;padding:5px 10px;cursor:pointer;font-size:14px}" +
    ".lw-human{border-left:4px solid #b42318}" +
    ".lw-author{display:block;font-size:12px;font-weight:700;color:#b42318;margin-bottom:2px}" +
    ".lw-call{align-self:flex-start;background:#b42318;color:#fff;font-weight:700;border-radius:16px;padding:8px 14px;text-decoration:none}" +
    ".lw-img{max-width:70%;border-radius:8px;align-self:flex-start}" +
    ".lw-typing{font-size:12px;color:#667085;padding:0 12px 4px;min-height:16px}" +
    ".lw-form{display:flex;gap:4px;padding:8px;border-top:1px solid #eaecf0}" +
    ".lw-form input[type=text]{flex:1;min-width:0;font-size:16px;padding:8px;border:1px solid #98a2b3;border-radius:8px}" +
    ".lw-form button{border:0;border-radius:8px;padding:8px 10px;cursor:pointer;font-size:15px;background:#eaecf0}" +
    ".lw-form .lw-send{color:#fff}" +
    ".lw-form [disabled]{opacity:.5;cursor:not-allowed}" +
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
  var badge = el("span", { "class": "lw-badge", "aria-hidden": "true", hidden: "" });
  launcher.appendChild(badge);
  // Read out when the count changes (the launcher's label alone is not announced).
  var announce = el("span", { "class": "lw-sr", role: "status", "aria-live": "polite" });
  var panel = el("section", { "class": "lw-panel", role: "dialog", "aria-modal": "false",
    "aria-label": config.title, hidden: "" });
  var head = el("div", { "class": "lw-head" });
  head.style.background = config.color;
  var title = el("h2", {}, config.title);
  var call = el("a", { href: "tel:112", "class": "lw-head-call", style: "color:#fff;font-size:13px" }, TEXT.emergency);
  // How the city uses what is typed here (UU 27/2022), on the backend that serves the widget.
  var privacy = el("a", { href: config.backend + "/privasi", target: "_blank", rel: "noopener",
    "class": "lw-privacy", "aria-label": TEXT.privacyLabel, "data-testid": "lw-privacy" }, TEXT.privacy);
  var fresh = el("button", { type: "button", "data-testid": "lw-new" }, TEXT.newChat);
  var closer = el("button", { type: "button", "aria-label": TEXT.close }, "✕");
  var bar = el("div", { "class": "lw-bar" });
  bar.append(call, privacy, fresh);
  head.append(title, closer, bar);
  var status = el("div", { "class": "lw-state", role: "status", "aria-live": "polite", "data-state": "connecting" }, TEXT.connecting);
  // Shown when the backend cannot issue a session: why, and a way to retry.
  var alertBox = el("div", { "class": "lw-alert", role: "alert", hidden: "", "data-testid": "lw-unavailable" });
  var retry = el("button", { type: "button" }, TEXT.retry);
  retry.style.background = config.color;
  alertBox.append(el("p", {}, TEXT.unavailable), retry);
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
  panel.append(head, status, alertBox, log, typing, form);

  // ---- rendering -----------------------------------------------------------
  function render(item) {
    var node;
    if (item.text) {
      var kind = item.who === "user" ? "lw-user" : item.author ? "lw-bot lw-human" : "lw-bot";
      node = el("div", { "class": "lw-msg " + kind, "data-id": item.id || "" });
      // A person's words (a 112 operator) are signed, so nobody mistakes them for the bot's.
      if (item.author) node.appendChild(el("span", { "class": "lw-author" }, "👩‍✈️ " + item.author));
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
    if (item.who === "bot" && !state.open) setUnread(state.unread + 1);
  }
  function setUnread(count) {
    state.unread = count;
    save("unread", count);
    badge.textContent = count > 9 ? "9+" : String(count);
    badge.hidden = !count;
    var label = count ? TEXT.open + " (" + count + TEXT.unread + ")" : TEXT.open;
    launcher.setAttribute("aria-label", label);
    announce.textContent = count ? count + TEXT.unread : "";
  }
  // Stream ids are "<milliseconds>-<sequence>": compare them as numbers.
  function newer(a, b) {
    var x = String(a).split("-").map(Number), y = String(b).split("-").map(Number);
    return x[0] !== y[0] ? x[0] > y[0] : (x[1] || 0) > (y[1] || 0);
  }
  function alreadyShown(streamId) {
    return state.history.some(function (h) { return h.streamId === streamId; });
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
    showOperator();
  }
  function connect() {
    socket = window.io(config.server, { transports: ["websocket", "polling"], reconnection: true });
    setState("connecting", TEXT.connecting);
    socket.on("connect", requestSession);
    socket.on("session_confirm", function () {
      setUnavailable(false);
      setState("online", TEXT.online);
      flush();
      fetchUnseen(); // on every (re)connection: what came while away
    });
    // The Rasa channel did not take the session: its token is no longer good (a new
    // session, unless the backend has just issued this one: then the servers disagree
    // and asking again would not help), or a message came before it was proven.
    socket.on("session_refused", function (why) {
      if (why && why.reason === "no_session") return requestSession();
      if (issuedNow) setUnavailable(true);
      else renewSession();
    });
    socket.on("disconnect", function () { if (alertBox.hidden) setState("offline", TEXT.offline); });
    socket.io.on("reconnect_attempt", function () { setState("reconnecting", TEXT.reconnecting); });
    socket.on("connect_error", function () { setState("offline", TEXT.offline); });
    socket.on("bot_uttered", function (reply) {
      typing.textContent = "";
      showBot(reply);
    });
  }
  // A bot reply, or a city message (it has a stream_id: live, or fetched).
  function showBot(reply) {
    var streamId = reply.stream_id;
    if (streamId) {
      // Fetched and pushed both, or fetched twice: shown once.
      if (alreadyShown(streamId)) return;
      if (newer(streamId, state.last)) { state.last = streamId; save("last", streamId); }
    }
    var item = { who: "bot", text: reply.text || "", buttons: reply.quick_replies || reply.buttons || [] };
    if (streamId) item.streamId = streamId;
    if (reply.author) item.author = String(reply.author);
    if (reply.attachment && reply.attachment.payload) item.image = reply.attachment.payload.src;
    if (reply.attachment && reply.attachment.type === "image" && !item.image) item.image = reply.attachment.payload;
    // The emergency call button arrives as {type: "call", href: "tel:112", label}.
    if (reply.type === "call" && reply.href) item.call = { href: reply.href, label: reply.label || "Telepon" };
    if (item.buttons && item.buttons.length) {
      item.buttons = item.buttons.map(function (b) { return { title: b.title, payload: b.payload }; });
    }
    if (item.text || item.image || item.call || (item.buttons && item.buttons.length)) remember(item);
    showOperator();
  }

  // What the city sent while this page was closed or offline, oldest first.
  var fetching = false, fetchAgain = false;
  function fetchUnseen() {
    if (!state.token) return;
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    var url = config.backend + "/api/v1/widget/messages?session=" + encodeURIComponent(state.session) +
      "&after=" + encodeURIComponent(state.last);
    fetch(url, { headers: { "X-Widget-Token": state.token } })
      .then(function (r) {
        if (r.status === 403) renewSession();
        return r.ok ? r.json() : Promise.reject(r.status);
      })
      .then(function (messages) {
        messages.forEach(showBot);
        if (messages.length >= PAGE) fetchAgain = true;
      })
      .catch(function () { /* offline or refused: the next open or reconnect tries again */ })
      .then(function () {
        fetching = false;
        if (fetchAgain) { fetchAgain = false; fetchUnseen(); }
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
  // A 112 operator has the conversation while the last message from our side
  // is theirs (signed); the bot is paused then, and nobody "virtual" types.
  function withOperator() {
    for (var i = state.history.length - 1; i >= 0; i--) {
      if (state.history[i].who === "bot") return !!state.history[i].author;
    }
    return false;
  }
  function showOperator() {
    if (withOperator() && status.getAttribute("data-state") === "online") status.textContent = TEXT.withOperator;
    else if (status.getAttribute("data-state") === "online") status.textContent = TEXT.online;
  }
  function transmit(entry) {
    socket.emit("user_uttered", { message: entry.message, session_id: state.session, metadata: entry.metadata || {} });
    markSent(entry.id, "");
    if (withOperator()) return;
    typing.textContent = TEXT.typing;
    setTimeout(function () { if (typing.textContent === TEXT.typing) typing.textContent = ""; }, 15000);
  }

  // Every outgoing message goes through here: shown at once, sent now or queued.
  function say(message, shown, metadata) {
    var id = uid();
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
    session()
      .then(function () {
        return fetch(config.backend + "/api/v1/widget/media", {
          method: "POST",
          headers: { "Content-Type": chosen.type, "X-Widget-Session": state.session, "X-Widget-Token": state.token },
          body: chosen,
        });
      })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      // The photo travels in the metadata: the bot checks the URL is the backend's own.
      .then(function (body) { say("/share_photo", "📷 foto terkirim", { media_urls: [body.url] }); })
      .catch(function (status) {
        if (status === 403) renewSession();
        var why = { 400: TEXT.photoUnreadable, 413: TEXT.photoTooBig, 429: TEXT.photoLimit }[status];
        remember({ who: "bot", text: why || TEXT.photoFailed });
      });
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
    if (open) {
      setUnread(0);
      log.scrollTop = log.scrollHeight; // what arrived while it was hidden is at the end
      begin();
      if (online()) fetchUnseen();
      input.focus();
    } else launcher.focus();
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  closer.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });
  fresh.addEventListener("click", function () {
    state.session = state.token = null;
    state.last = "0";
    state.history = [];
    state.queue = [];
    save("session", null); save("token", null); save("last", "0"); save("history", []); save("queue", []);
    redraw();
    // Connected again, the socket asks for the new session's room only (the old
    // socket would stay in the old conversation's room too).
    if (socket) { socket.disconnect(); socket.connect(); }
    input.focus();
  });

  // A conversation id and its token from the backend, asked for once at a time;
  // kept until "Percakapan baru".
  var issuing = null;
  var issuedNow = false; // the session was issued during this page's life
  function session() {
    if (state.session && state.token) return Promise.resolve(state.session);
    if (!issuing) {
      issuing = fetch(config.backend + "/api/v1/widget/sessions", { method: "POST" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (issued) {
          state.session = issued.session;
          state.token = issued.token;
          issuedNow = true;
          save("session", state.session); save("token", state.token);
          return state.session;
        });
      issuing.then(function () { issuing = null; }, function () { issuing = null; });
    }
    return issuing;
  }
  // On every connection: join the conversation's room with the session's token
  // (Rasa answers session_confirm). No session from the backend: no chat, but a
  // polite notice and a retry (by hand, or on its own a little later).
  var retryTimer = null;
  function requestSession() {
    clearTimeout(retryTimer);
    session().then(function (id) {
      setUnavailable(false);
      if (socket.connected) socket.emit("session_request", { session_id: id, token: state.token });
    }, function () {
      setUnavailable(true);
      retryTimer = setTimeout(function () { if (socket.connected) requestSession(); }, RETRY_MS);
    });
  }
  function setUnavailable(on) {
    alertBox.hidden = !on;
    [input, send, photo, where].forEach(function (node) { node.disabled = on; });
    if (on) setState("error", TEXT.unavailableState);
    else if (status.getAttribute("data-state") === "error") setState("connecting", TEXT.connecting);
  }
  retry.addEventListener("click", function () {
    setState("connecting", TEXT.connecting);
    if (!socket) { begun = false; begin(); } // the socket.io client did not even load
    else if (socket.connected) requestSession();
    else socket.connect(); // connected, it asks for the session again
  });
  // The backend no longer accepts this session's token (its key changed): the
  // conversation goes on in a new session; the transcript stays.
  function renewSession() {
    state.session = state.token = null;
    save("session", null); save("token", null);
    if (socket) { socket.disconnect(); socket.connect(); }
  }
  // Connects once: at load for a citizen who has a conversation, on first open otherwise
  // (a visitor who never opens the chat costs the servers nothing).
  var begun = false;
  function begin() {
    if (begun) return;
    begun = true;
    if (window.io) return connect();
    var loader = document.createElement("script");
    loader.src = base + "/vendor/socket.io-4.8.1.min.js";
    loader.onload = connect;
    // The backend that serves the client is out of reach: the same notice, the same retry.
    loader.onerror = function () { loader.remove(); setUnavailable(true); };
    document.head.appendChild(loader);
  }

  function start() {
    document.body.append(launcher, announce, panel);
    redraw();
    setUnread(state.open ? 0 : state.unread);
    panel.hidden = !state.open;
    launcher.hidden = state.open;
    if (state.token || state.open) begin();
  }
  window.LaporWidget = { config: config, say: say, open: function () { setOpen(true); } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

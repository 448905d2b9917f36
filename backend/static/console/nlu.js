// Marking entities in a training example (backend/templates/console/_nlu_example_form.html).
//
// Each form.nlu-example keeps its spans in the hidden "spans" field as JSON,
// [{entity, start, end, value}], which backend/editor/forms.py reads. Offsets
// count Unicode code points, as Python does, not the UTF-16 units of the
// textarea: an emoji before a span must not shift it by one.
(function () {
  "use strict";

  function codePoints(text) { return Array.from(text); }

  // A textarea offset (UTF-16 units) as a code point offset.
  function toPoints(text, units) { return codePoints(text.slice(0, units)).length; }

  function readSpans(field) {
    try {
      var spans = JSON.parse(field.value || "[]");
      return Array.isArray(spans) ? spans : [];
    } catch (error) {
      return []; // a broken field: the server says so on saving
    }
  }

  // Spans still valid after the text changed from `before` to `after`: those
  // before the edit stay, those after it move, those it touched are dropped
  // (their covered text changed, so their label may no longer be right).
  function shifted(spans, before, after) {
    var old = codePoints(before), now = codePoints(after);
    var head = 0;
    while (head < old.length && head < now.length && old[head] === now[head]) head++;
    var tail = 0;
    while (tail < old.length - head && tail < now.length - head &&
           old[old.length - 1 - tail] === now[now.length - 1 - tail]) tail++;
    var oldEnd = old.length - tail, delta = now.length - old.length;
    return spans.filter(function (s) { return s.end <= head || s.start >= oldEnd; })
      .map(function (s) {
        if (s.start < oldEnd) return s;
        return { entity: s.entity, start: s.start + delta, end: s.end + delta, value: s.value };
      });
  }

  function enhance(form) {
    var textarea = form.querySelector("textarea[name=text]");
    var field = form.querySelector("input[name=spans]");
    var chips = form.querySelector(".nlu-chips");
    var message = form.querySelector(".nlu-message");
    var kelurahan = form.querySelector("select.nlu-kelurahan");
    if (!textarea || !field || !chips) return;
    var labels = {};
    form.querySelectorAll("button.nlu-entity").forEach(function (button) {
      labels[button.getAttribute("data-entity")] = button.getAttribute("data-label");
    });
    var spans = readSpans(field);
    var text = textarea.value;

    function say(words, problem) {
      if (!message) return;
      message.textContent = words || "";
      message.classList.toggle("problem", !!problem);
    }

    function covered(span) { return codePoints(text).slice(span.start, span.end).join(""); }

    function save() {
      spans.sort(function (a, b) { return a.start - b.start; });
      field.value = JSON.stringify(spans);
      draw();
    }

    function draw() {
      chips.textContent = "";
      spans.forEach(function (span, i) {
        var chip = document.createElement("li");
        chip.className = "chip";
        chip.setAttribute("data-entity", span.entity);
        var shown = covered(span);
        var words = (labels[span.entity] || span.entity) + ": " + shown;
        if (span.value && span.value !== shown) words += " → " + span.value;
        chip.appendChild(document.createTextNode(words));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "Hapus penanda " + words);
        remove.addEventListener("click", function () {
          spans.splice(i, 1);
          save();
          say("Penanda dihapus.");
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function mark(entity) {
      var value = textarea.value;
      var from = textarea.selectionStart, to = textarea.selectionEnd;
      // Spaces at either end of a selection are never part of the entity.
      while (from < to && /\s/.test(value.charAt(from))) from++;
      while (to > from && /\s/.test(value.charAt(to - 1))) to--;
      if (from >= to) {
        say("Blok dulu bagian kalimat yang ingin ditandai.", true);
        return;
      }
      var span = { entity: entity, start: toPoints(value, from), end: toPoints(value, to) };
      var clash = spans.filter(function (s) { return s.start < span.end && span.start < s.end; })[0];
      if (clash) {
        say("Bagian ini bertumpang tindih dengan penanda " + (labels[clash.entity] || clash.entity) +
            " (“" + covered(clash) + "”). Hapus penanda itu dulu bila perlu.", true);
        return;
      }
      if (entity === "kelurahan") {
        if (!kelurahan || !kelurahan.value) {
          say("Pilih dulu nama resmi kelurahannya, lalu klik Kelurahan lagi.", true);
          if (kelurahan) kelurahan.focus();
          return;
        }
        span.value = kelurahan.value;
      }
      spans.push(span);
      save();
      say("Penanda " + (labels[entity] || entity) + " ditambahkan.");
    }

    form.querySelectorAll("button.nlu-entity").forEach(function (button) {
      button.addEventListener("click", function () { mark(button.getAttribute("data-entity")); });
    });
    textarea.addEventListener("input", function () {
      var count = spans.length;
      spans = shifted(spans, text, textarea.value);
      text = textarea.value;
      save();
      if (spans.length < count) say("Penanda pada bagian yang diubah dihapus; tandai lagi bila perlu.");
    });
    // The server drew the chips without remove buttons: redraw them with.
    draw();
  }

  function start() { document.querySelectorAll("form.nlu-example").forEach(enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// The order page: redraw the card preview as the customer types (debounced), relabel the address
// fields for the chosen country, and check an address when the customer leaves one of its fields.
// Without JavaScript the form still works: the review step renders and validates on the server.
(function () {
  "use strict";
  var form = document.getElementById("order");
  if (!form) return;
  var preview = document.getElementById("preview");
  var summary = document.getElementById("preview-summary");
  var note = document.getElementById("preview-note");
  var errors = document.getElementById("message-errors");
  var counter = document.getElementById("counter");
  var message = document.getElementById("message");
  var max = parseInt(message.dataset.max, 10) || 2000;
  var fields = JSON.parse(document.getElementById("country-fields").textContent || "{}");
  var timer = null, inflight = null, seq = 0;

  function body(extra) {
    var fd = new FormData(form);
    if (extra) for (var k in extra) fd.set(k, extra[k]);
    return new URLSearchParams(fd);
  }

  function list(el, items) {
    el.textContent = "";
    (items || []).forEach(function (t) { var li = document.createElement("li"); li.textContent = t; el.appendChild(li); });
  }

  // The counter counts characters as the server does (code points, not UTF-16 units), at once;
  // its words come with each preview, in the page's language.
  function count() {
    var n = Array.from(message.value).length;
    counter.classList.toggle("over", n > max);
    counter.textContent = counter.textContent.replace(/^[\d.,\s\u202f]+/, n + " ");
  }

  // show puts a preview answer on the page. The preview, its note and the message's errors are
  // always replaced together, so the card shown is the text in the box (or the blank card with
  // the reason), never an older text beside a new error.
  function show(p) {
    preview.classList.remove("busy");
    if (p.svg) preview.innerHTML = p.svg;
    preview.dataset.hash = p.stroke_hash || "";
    preview.dataset.state = p.state || "error";
    preview.className = "card-preview state-" + (p.state || "error");
    note.textContent = p.note || "";
    summary.textContent = p.summary || "";
    if (p.counter) { counter.textContent = p.counter; counter.classList.toggle("over", p.runes > max); }
    list(errors, p.errors);
    message.toggleAttribute("aria-invalid", !!(p.errors && p.errors.length));
  }

  function refresh() {
    var mine = ++seq;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    fetch("/orders/preview", { method: "POST", body: body(), signal: inflight.signal, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (p) { if (mine === seq) show(p); })
      .catch(function (e) {
        if (mine !== seq || (e && e.name === "AbortError")) return;
        // No answer: say so rather than leave an older card standing as if it were this text.
        preview.classList.remove("busy");
        preview.dataset.state = "offline";
        preview.dataset.hash = "";
        preview.className = "card-preview state-error";
        note.textContent = form.dataset.offline || "";
      });
  }

  function schedule() {
    count();
    preview.classList.add("busy"); // until the answer comes, the card shown is an older text
    preview.dataset.hash = "";
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.querySelectorAll("[data-preview]").forEach(function (el) {
    el.addEventListener(el.tagName === "TEXTAREA" ? "input" : "change", schedule);
  });

  function relabel(box) {
    var sel = box.querySelector("[data-country]");
    var f = fields[sel.value] || {};
    var postal = box.querySelector("[data-label=postal]");
    var region = box.querySelector("[data-region]");
    if (f.postal) postal.textContent = f.postal;
    var regionInput = region.querySelector("input");
    var show = !!f.region_required || regionInput.value !== "";
    region.hidden = !show;
    if (f.region) region.querySelector("[data-label=region]").textContent = f.region;
  }

  function check(box) {
    var prefix = box.dataset.prefix;
    fetch("/orders/address", { method: "POST", body: body({ which: prefix }), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (problems) {
        box.querySelectorAll(".err[data-for]").forEach(function (el) {
          var input = box.querySelector("[name='" + el.dataset.for + "']");
          var touched = input && input.dataset.touched;
          var msg = problems[el.dataset.for] || "";
          el.textContent = touched ? msg : "";
          if (input) input.toggleAttribute("aria-invalid", !!(touched && msg));
        });
      });
  }

  form.querySelectorAll(".address").forEach(function (box) {
    relabel(box);
    box.querySelector("[data-country]").addEventListener("change", function () { relabel(box); check(box); });
    box.querySelectorAll("input").forEach(function (input) {
      if (input.value) input.dataset.touched = "1";
      input.addEventListener("blur", function () { input.dataset.touched = "1"; check(box); });
    });
  });
})();

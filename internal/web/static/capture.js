// The capture page: records every box of the sample sheet as pointer strokes (position, time
// since the box was begun, pressure where the device has it), keeps the sheet on this device so
// that it can be resumed, previews a card in the hand once enough is written, and sends the
// sheet to POST /v1/faces with the account's live key.
"use strict";
(function () {
  const DRAFT = "quillpost-capture-draft";
  const KEY = "quillpost-capture-key";
  const W = { char: 300, word: 760, signature: 760 }; // logical box widths; all boxes are 200 high
  const H = 200;
  const $ = (id) => document.getElementById(id);
  // The page's words, in its language, from the server's catalogue (capture.js.* keys).
  const WORDS = JSON.parse($("words").textContent);
  // T formats a catalogue text as Go's fmt does for the verbs the catalogue uses: %s, %d and
  // their indexed forms %[n]s, which translations use to reorder the values.
  const T = (key, ...args) => {
    let i = 0;
    return (WORDS[key] || key).replace(/%(?:\[(\d+)\])?([sdv%])/g, (m, n, verb) => {
      if (verb === "%") return "%";
      i = n ? Number(n) : i + 1;
      return String(args[i - 1]);
    });
  };
  const has = (key) => Object.prototype.hasOwnProperty.call(WORDS, key);
  const num = (v) => Number(v).toLocaleString(document.documentElement.lang || undefined);
  // A rejection's values in the order its catalogue text takes them.
  const REJECT_ARGS = {
    too_many_strokes: ["strokes"], too_tall: ["x_heights"], too_wide: ["x_heights"], off_guides: [],
    too_much_ink: ["x_heights"], scribble_turns: ["turns"], unlike_others: ["char"],
  };
  // rejection says why a sample was left out in the page's language; a code this page does not
  // know yet (a newer server) keeps the server's English sentence.
  function rejection(rj) {
    if (!has("reject." + rj.code) || !REJECT_ARGS[rj.code]) return rj.reason;
    const args = rj.args || {};
    return T("reject." + rj.code, ...REJECT_ARGS[rj.code].map((k) => typeof args[k] === "number" ? num(args[k]) : args[k]));
  }
  // apiError says an API error in the page's language by its code, or as the server worded it
  // when the page does not know the code, or fallback when there is no error body at all.
  function apiError(data, fallback) {
    const e = data && data.error;
    if (!e) return fallback;
    if (e.code === "sheet_invalid" && e.field === "name") return T("error.sheet_invalid.name");
    if (has("error." + e.code)) return T("error." + e.code, e.field || "");
    return e.message || fallback;
  }
  const pad = $("pad");
  const ctx = pad.getContext("2d");

  let plan = null;     // {boxes: [{kind, text}], guides: {baseline, x_height}, ready_chars}
  let boxes = [];      // parallel to plan.boxes: {strokes: [{points}], redo: [], t0}
  let cur = 0;
  let drawing = null;  // the stroke being written
  let rejected = {};   // box index → reason, from the last preview
  let previewTimer = 0, previewSeq = 0;

  const key = () => sessionStorage.getItem(KEY) || "";
  const round2 = (v) => Math.round(v * 100) / 100;

  function draft() {
    try { return JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { return null; }
  }
  function save() {
    localStorage.setItem(DRAFT, JSON.stringify({
      name: $("name").value, title: $("title").value, cur: cur,
      boxes: boxes.map((b) => ({ strokes: b.strokes })),
    }));
  }

  // The sheet as the API takes it: only the boxes written so far; index maps its boxes back.
  function sheet() {
    const out = { format: "quillpost-strokes/1", name: $("name").value, title: $("title").value, boxes: [] };
    const index = [];
    boxes.forEach((b, i) => {
      if (!b.strokes.length) return;
      const pb = plan.boxes[i];
      out.boxes.push({ kind: pb.kind, text: pb.text, guides: plan.guides, strokes: b.strokes });
      index.push(i);
    });
    return { body: out, index: index };
  }

  function width(i) { return W[plan.boxes[i].kind] || W.char; }

  function layout() {
    const w = width(cur);
    const dpr = window.devicePixelRatio || 1;
    pad.width = Math.round(w * dpr);
    pad.height = Math.round(H * dpr);
    pad.style.aspectRatio = w + " / " + H;
    pad.style.maxWidth = (w * 2) + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }

  function draw() {
    const w = width(cur), g = plan.guides;
    ctx.clearRect(0, 0, w, H);
    const line = (y, color, dash) => {
      ctx.beginPath(); ctx.setLineDash(dash); ctx.strokeStyle = color; ctx.lineWidth = 1;
      ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
    };
    const xh = g.baseline - g.x_height;
    line(g.baseline - 1.8 * xh, "#eee6d2", [4, 6]);   // ascender
    line(g.x_height, "#d9b75a", [6, 4]);             // x-height
    line(g.baseline, "#1c2a6e", []);                  // baseline
    line(g.baseline + 0.7 * xh, "#eee6d2", [4, 6]);   // descender
    ctx.setLineDash([]);
    ctx.strokeStyle = "#1c2a6e"; ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const s of boxes[cur].strokes) {
      ctx.beginPath();
      s.points.forEach((p, k) => {
        ctx.lineWidth = p.pressure ? 1 + 2.5 * p.pressure : 2.2;
        if (k === 0) ctx.moveTo(p.x, p.y); else ctx.lineTo(p.x, p.y);
      });
      if (s.points.length === 1) ctx.lineTo(s.points[0].x + 0.1, s.points[0].y);
      ctx.stroke();
    }
  }

  function point(e) {
    const r = pad.getBoundingClientRect();
    const b = boxes[cur];
    const w = width(cur);
    const p = { x: round2((e.clientX - r.left) * w / r.width), y: round2((e.clientY - r.top) * H / r.height), t: 0 };
    p.t = Math.max(0, Math.round(e.timeStamp - b.t0));
    // A mouse reports a constant 0.5 while pressed: only pens and touch say something real.
    if (e.pointerType !== "mouse" && e.pressure > 0) p.pressure = round2(Math.min(1, e.pressure));
    return p;
  }

  pad.addEventListener("pointerdown", (e) => {
    if (e.button > 0) return;
    e.preventDefault();
    const b = boxes[cur];
    if (b.t0 == null) b.t0 = e.timeStamp;
    drawing = { points: [point(e)] };
    b.strokes.push(drawing);
    b.redo = [];
    if (pad.setPointerCapture) { try { pad.setPointerCapture(e.pointerId); } catch (err) { /* synthetic */ } }
    draw();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    e.preventDefault();
    const evs = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of (evs.length ? evs : [e])) {
      const p = point(ev);
      const last = drawing.points[drawing.points.length - 1];
      p.t = Math.max(p.t, last.t);
      if (p.x !== last.x || p.y !== last.y) drawing.points.push(p);
    }
    draw();
  });
  const end = (e) => {
    if (!drawing) return;
    e.preventDefault();
    drawing = null;
    changed();
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  function changed() {
    save();
    draw();
    progress();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 1200);
  }

  function go(i) {
    cur = Math.max(0, Math.min(plan.boxes.length - 1, i));
    drawing = null;
    const pb = plan.boxes[cur];
    $("prompt-kind").textContent = pb.kind === "signature" ? T("prompt.signature")
      : pb.kind === "word" ? T("prompt.word") : T("prompt.char");
    $("prompt-text").textContent = pb.text;
    let n = 0, k = 0;
    plan.boxes.forEach((q, j) => { if (q.kind === pb.kind && q.text === pb.text) { n++; if (j <= cur) k = n; } });
    $("prompt-n").textContent = n > 1 ? T("prompt.n", k, n) : "";
    $("prev").disabled = cur === 0;
    $("next").textContent = T(cur === plan.boxes.length - 1 ? "done" : "next");
    layout();
    progress();
    save();
  }

  function progress() {
    const written = boxes.filter((b) => b.strokes.length).length;
    const total = plan.boxes.length;
    $("bar").style.width = (100 * written / total).toFixed(1) + "%";
    $("progress-text").textContent = T("progress", written, total, cur + 1);
    $("progress-text").dataset.written = written;
    $("undo").disabled = !boxes[cur].strokes.length;
    $("redo").disabled = !boxes[cur].redo.length;
    $("clear").disabled = !boxes[cur].strokes.length;
    $("create").disabled = written === 0;
    const grid = $("grid");
    grid.querySelectorAll("button").forEach((btn, i) => {
      btn.toggleAttribute("data-written", boxes[i].strokes.length > 0);
      if (rejected[i]) { btn.setAttribute("data-rejected", ""); btn.title = rejected[i]; }
      else { btn.removeAttribute("data-rejected"); btn.title = ""; }
      if (i === cur) btn.setAttribute("aria-current", "true"); else btn.removeAttribute("aria-current");
    });
  }

  function buildGrid() {
    const grid = $("grid");
    grid.textContent = "";
    plan.boxes.forEach((pb, i) => {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = pb.kind;
      btn.dataset.i = i;
      btn.textContent = pb.kind === "signature" ? T("signature") : pb.text;
      // A box's character or word is the sheet's, the same in every language.
      if (pb.kind !== "signature") btn.translate = false;
      btn.addEventListener("click", () => go(i));
      grid.appendChild(btn);
    });
  }

  $("prev").addEventListener("click", () => go(cur - 1));
  $("next").addEventListener("click", () => go(cur + 1));
  $("undo").addEventListener("click", () => {
    const b = boxes[cur];
    if (b.strokes.length) { b.redo.push(b.strokes.pop()); changed(); }
  });
  $("redo").addEventListener("click", () => {
    const b = boxes[cur];
    if (b.redo.length) { b.strokes.push(b.redo.pop()); changed(); }
  });
  $("clear").addEventListener("click", () => {
    const b = boxes[cur];
    // Clearing is undone stroke by stroke, last stroke first back.
    while (b.strokes.length) b.redo.push(b.strokes.pop());
    b.t0 = null;
    changed();
  });

  function ready() {
    const need = plan.ready_chars;
    const have = new Set();
    boxes.forEach((b, i) => { if (b.strokes.length && plan.boxes[i].kind === "char") have.add(plan.boxes[i].text); });
    for (const c of need) if (!have.has(c)) return false;
    return true;
  }

  async function api(method, path, body, idem) {
    const headers = { "Authorization": "Bearer " + key(), "Content-Type": "application/json" };
    if (idem) headers["Idempotency-Key"] = idem;
    const resp = await fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined });
    let data = null;
    try { data = await resp.json(); } catch (e) { /* not JSON */ }
    return { status: resp.status, data: data };
  }

  async function preview() {
    if (!ready()) return;
    const seq = ++previewSeq;
    const s = sheet();
    $("live-status").textContent = T("previewing");
    const r = await api("POST", "/v1/faces/preview", s.body);
    if (seq !== previewSeq) return; // a newer preview is on its way
    if (r.status !== 200 || !r.data) {
      $("live-status").textContent = apiError(r.data, T("preview.failed"));
      return;
    }
    rejected = {};
    const list = $("live-rejected");
    list.textContent = "";
    for (const rj of r.data.rejected || []) {
      const i = s.index[rj.box];
      rejected[i] = rejection(rj);
      const li = document.createElement("li");
      li.textContent = T("rejected", i + 1, rj.text || T("signature"), rejected[i]);
      list.appendChild(li);
    }
    const cov = r.data.coverage;
    if (cov) {
      $("live-status").textContent = cov.missing ? T("coverage.missing", cov.written, cov.total, cov.missing)
        : T("coverage.all", cov.written, cov.total);
    }
    const card = $("live-card");
    if (r.data.svg) {
      const doc = new DOMParser().parseFromString(r.data.svg, "image/svg+xml");
      card.replaceChildren(document.importNode(doc.documentElement, true));
      card.dataset.ready = "true";
    }
    progress();
  }

  $("create").addEventListener("click", async () => {
    const s = sheet();
    const res = $("result");
    res.removeAttribute("data-error");
    res.textContent = T("making");
    $("create").disabled = true;
    const idem = "capture-" + (window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random());
    const r = await api("POST", "/v1/faces", s.body, idem);
    $("create").disabled = false;
    if (r.status !== 201) {
      res.setAttribute("data-error", "");
      res.textContent = apiError(r.data, T("not_made", r.status));
      return;
    }
    const cov = r.data.coverage;
    res.dataset.font = r.data.font;
    res.textContent = T("ready", r.data.name, r.data.font) + " " + (cov.missing
      ? T("ready.missing", cov.written, cov.total, cov.missing) : T("ready.all", cov.written, cov.total));
    // The samples are kept by the server now: nothing personal stays on this device.
    localStorage.removeItem(DRAFT);
  });

  $("discard").addEventListener("click", () => {
    if (!confirm(T("discard.confirm"))) return;
    localStorage.removeItem(DRAFT);
    boxes = plan.boxes.map(() => ({ strokes: [], redo: [], t0: null }));
    rejected = {};
    go(0);
  });

  $("setup").addEventListener("submit", (e) => {
    e.preventDefault();
    const k = $("key").value.trim();
    if (!k.startsWith("qp_live_")) {
      $("setup-note").textContent = T("live_key");
      return;
    }
    sessionStorage.setItem(KEY, k);
    start();
  });

  function start() {
    $("setup").hidden = true;
    $("sheet").hidden = false;
    buildGrid();
    go(cur);
    if (ready()) preview();
  }

  async function init() {
    const resp = await fetch("/capture/plan.json");
    plan = await resp.json();
    boxes = plan.boxes.map(() => ({ strokes: [], redo: [], t0: null }));
    const d = draft();
    if (d && d.boxes && d.boxes.length === plan.boxes.length) {
      d.boxes.forEach((b, i) => {
        boxes[i].strokes = b.strokes || [];
        // Strokes added to a resumed box are timed after the ones it has, so their order holds.
        let last = -1;
        for (const s of boxes[i].strokes) for (const p of s.points) last = Math.max(last, p.t);
        if (last >= 0) boxes[i].t0 = performance.now() - last - 500;
      });
      cur = d.cur || 0;
      $("name").value = d.name || "";
      $("title").value = d.title || "";
      const n = boxes.filter((b) => b.strokes.length).length;
      $("setup-note").textContent = T("resume", n, plan.boxes.length);
    }
    if (key()) $("key").value = key();
    document.body.dataset.ready = "true";
  }
  window.addEventListener("resize", () => { if (plan && !$("sheet").hidden) layout(); });
  init();
})();

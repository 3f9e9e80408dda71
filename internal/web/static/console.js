// The trigger test console: maps a pasted payload through POST /v1/triggers/{id}/test and draws
// the proof with POST /v1/cards/preview, with the account's own key. Nothing is stored.
(() => {
  const $ = (s) => document.querySelector(s);
  // The page's words, in its language, from the server's catalogue (console.js.* keys).
  const WORDS = JSON.parse($("#words").textContent);
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

  async function api(method, path, body) {
    const r = await fetch(path, {
      method,
      headers: {"Authorization": "Bearer " + $("#key").value.trim(), "Content-Type": "application/json", "Accept": "application/json"},
      body,
    });
    let json = null;
    try { json = await r.json(); } catch (e) { /* no body */ }
    return {status: r.status, body: json};
  }

  // errorText says an API error in the page's language by its code; a code the page does not
  // know (a card check of a mapped payload, a newer server) keeps the server's own sentence.
  function errorText(res) {
    const e = res.body && res.body.error;
    if (!e) return T("server", res.status);
    // A missing payload field's text names the card field it was to fill.
    const target = (e.problems && e.problems[0] && e.problems[0].target) || "";
    if (Object.prototype.hasOwnProperty.call(WORDS, "error." + e.code)) return T("error." + e.code, target);
    return e.message || T("server", res.status);
  }

  $("#load").addEventListener("click", async () => {
    const out = $("#load-error");
    out.hidden = true;
    const res = await api("GET", "/v1/triggers?state=active");
    const sel = $("#trigger");
    sel.replaceChildren();
    if (res.status !== 200) {
      out.textContent = errorText(res);
      out.hidden = false;
      return;
    }
    for (const t of res.body.data) {
      const o = document.createElement("option");
      o.value = t.id;
      o.textContent = t.name + " (" + t.id + ")";
      sel.append(o);
    }
    if (!res.body.data.length) {
      out.textContent = T("no_trigger");
      out.hidden = false;
    }
  });

  $("#try").addEventListener("click", async () => {
    const missing = $("#missing"), mapped = $("#mapped");
    $("#result").hidden = false;
    missing.hidden = true;
    mapped.hidden = true;
    delete missing.dataset.field;
    $("#preview").replaceChildren();
    const id = $("#trigger").value;
    const res = await api("POST", "/v1/triggers/" + encodeURIComponent(id) + "/test", $("#payload").value);
    if (res.status !== 200) {
      const e = res.body && res.body.error;
      missing.textContent = (e && e.field ? e.field + ": " : "") + errorText(res);
      if (e && e.field) missing.dataset.field = e.field;
      missing.hidden = false;
      return;
    }
    const card = res.body;
    $("#event-id").textContent = card.event_id || T("body_hash");
    // An event id is the sender's data; the stand-in for a missing one is the page's words.
    $("#event-id").translate = !card.event_id;
    const to = card.to;
    $("#to").textContent = [to.name, to.company, ...(to.lines || []), [to.postal_code, to.city].filter(Boolean).join(" "), to.country]
      .filter(Boolean).join(", ");
    $("#message").textContent = card.message;
    mapped.hidden = false;
    const proof = await api("POST", "/v1/cards/preview", JSON.stringify({
      message: card.message, font: card.font, hand: card.hand, stock: card.stock, align: card.align, seed: card.seed,
    }));
    if (proof.status !== 200) {
      missing.textContent = errorText(proof);
      missing.hidden = false;
      return;
    }
    // The SVG is our own renderer's output (strokes only), as on the order page.
    $("#preview").innerHTML = proof.body.svg;
    $("#preview").dataset.hash = proof.body.stroke_hash;
  });
})();

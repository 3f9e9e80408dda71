// Live parts of a page: an element with data-stream="<url>" follows the HTML fragments the server
// sends over server-sent events. EventSource reconnects by itself after a network hiccup.
//
// A fragment is not poured in with innerHTML: that would replace every element, and the element
// the operator is on (a focused button, an open confirmation, a half-typed field) would vanish
// under the keyboard, and the page would jump. Instead the new fragment is merged into the page:
// elements that stay keep their identity (so focus, open details and scroll stay), only what
// changed is touched. Elements are matched by id, data-robot, data-card or, failing those, by
// tag in order. (data-stranded, data-penworn and data-proofchanged key the needs-a-human rows.)
(function () {
  "use strict";

  function key(n) {
    if (n.nodeType !== 1) return null;
    return n.id || (n.dataset && (n.dataset.robot || n.dataset.card || n.dataset.stranded || n.dataset.penworn || n.dataset.proofchanged)) || null;
  }

  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName && key(a) === key(b);
  }

  function syncAttrs(from, to) {
    for (var i = to.attributes.length - 1; i >= 0; i--) {
      var name = to.attributes[i].name;
      // An open confirmation is the operator's, not the server's: leave it open.
      if (name === "open" && to.nodeName === "DETAILS") continue;
      if (!from.hasAttribute(name)) to.removeAttribute(name);
    }
    for (var j = 0; j < from.attributes.length; j++) {
      var a = from.attributes[j];
      if (to.getAttribute(a.name) !== a.value) to.setAttribute(a.name, a.value);
    }
  }

  function morph(to, from) {
    if (to.nodeType === 3 || to.nodeType === 8) {
      if (to.nodeValue !== from.nodeValue) to.nodeValue = from.nodeValue;
      return;
    }
    syncAttrs(from, to);
    // A field the operator is typing in keeps what they typed.
    if ((to.nodeName === "INPUT" || to.nodeName === "TEXTAREA") && to === document.activeElement) return;
    morphChildren(to, from);
  }

  function morphChildren(to, from) {
    var keyed = {};
    for (var c = to.firstChild; c; c = c.nextSibling) {
      var k = key(c);
      if (k) keyed[k] = c;
    }
    var cur = to.firstChild;
    var next = from.firstChild;
    while (next) {
      var incoming = next;
      next = next.nextSibling;
      var k2 = key(incoming);
      var match = null;
      if (k2 && keyed[k2] && keyed[k2].nodeName === incoming.nodeName) {
        match = keyed[k2];
        delete keyed[k2];
      } else if (cur && !key(cur) && sameKind(cur, incoming)) {
        match = cur;
      }
      if (match) {
        if (match !== cur) to.insertBefore(match, cur);
        else cur = cur.nextSibling;
        morph(match, incoming);
      } else {
        to.insertBefore(incoming, cur); // from the parsed fragment: moves it over
      }
    }
    while (cur) {
      var gone = cur;
      cur = cur.nextSibling;
      to.removeChild(gone);
    }
  }

  function put(el, html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    morphChildren(el, tpl.content);
    el.dataset.updated = String((parseInt(el.dataset.updated || "0", 10) || 0) + 1);
  }

  document.querySelectorAll("[data-stream]").forEach(function (el) {
    var dot = document.getElementById("live-dot");
    var es = new EventSource(el.dataset.stream);
    function update(e) { put(el, e.data); }
    es.addEventListener("dashboard", update);
    es.addEventListener("timeline", update);
    es.addEventListener("final", function () { es.close(); });
    es.addEventListener("signedout", function () { es.close(); location.reload(); });
    es.onopen = function () { if (dot) dot.classList.add("on"); };
    es.onerror = function () { if (dot) dot.classList.remove("on"); };
  });

  // "Keep writing" and the like close their confirmation.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-close]");
    if (!b) return;
    var d = b.closest("details");
    if (d) { d.open = false; var s = d.querySelector("summary"); if (s) s.focus(); }
  });
})();

// Live parts of a page: an element with data-stream="<url>" is replaced by each HTML fragment the
// server sends over server-sent events. EventSource reconnects by itself after a network hiccup.
(function () {
  "use strict";
  document.querySelectorAll("[data-stream]").forEach(function (el) {
    var dot = document.getElementById("live-dot");
    var es = new EventSource(el.dataset.stream);
    function put(e) { el.innerHTML = e.data; }
    es.addEventListener("dashboard", put);
    es.addEventListener("timeline", put);
    es.addEventListener("final", function () { es.close(); });
    es.addEventListener("signedout", function () { es.close(); location.reload(); });
    es.onopen = function () { if (dot) dot.classList.add("on"); };
    es.onerror = function () { if (dot) dot.classList.remove("on"); };
  });
})();

// cloudfold dashboard: the theme switch and confirmation before destructive actions.
// Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("cloudfold-theme"); } catch (e) { /* storage off: follow the system */ }
  if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var dark = root.getAttribute("data-theme") === "dark" ||
          (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
        var next = dark ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem("cloudfold-theme", next); } catch (e) { /* not kept */ }
      });
    }
  });

  // Live: a page showing a resource re-reads its live part when the event stream (/ui/live,
  // the same events as /ws) says that resource changed; no reload, no polling.
  document.addEventListener("DOMContentLoaded", function () {
    var live = document.querySelector("[data-live-resource]");
    if (!live || !window.WebSocket) return;
    var id = live.getAttribute("data-live-resource");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ui/live");
    socket.addEventListener("message", function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type !== "resource_change" || String(event.resource_id) !== id || !window.htmx) return;
      window.htmx.ajax("GET", location.pathname, {target: "#machine-live", select: "#machine-live", swap: "outerHTML"});
    });
    document.documentElement.setAttribute("data-live", "connecting");
    socket.addEventListener("open", function () { document.documentElement.setAttribute("data-live", "open"); });
    socket.addEventListener("close", function () { document.documentElement.setAttribute("data-live", "closed"); });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
})();

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
  // Each live part names what it follows: data-live-resource (a resource id), data-live-provider
  // (an account's events, e.g. a sync's pages), data-live-any (every event: lists, alerts, samples).
  // A burst of events re-reads the part once (at most every 500 ms).
  var FOLLOWS = [["data-live-resource", "resource_id"], ["data-live-provider", "provider_id"], ["data-live-any", null]];
  function concerns(part, event) {
    for (var i = 0; i < FOLLOWS.length; i++) {
      var want = part.getAttribute(FOLLOWS[i][0]);
      if (want === null) continue;
      if (FOLLOWS[i][1] === null) return !want || want.split(" ").indexOf(event.type) >= 0;
      if (event.type === "resource_change" && String(event[FOLLOWS[i][1]]) === want) return true;
    }
    return false;
  }
  var due = {};
  function reread(part) {
    var id = part.id;
    if (due[id]) return;
    due[id] = setTimeout(function () {
      delete due[id];
      window.htmx.ajax("GET", location.pathname + location.search, {target: "#" + id, select: "#" + id, swap: "outerHTML"});
    }, 500);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var selector = FOLLOWS.map(function (f) { return "[" + f[0] + "]"; }).join(",");
    if (!document.querySelector(selector) || !window.WebSocket) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ui/live");
    socket.addEventListener("message", function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (!window.htmx) return;
      document.querySelectorAll(selector).forEach(function (part) { if (part.id && concerns(part, event)) reread(part); });
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

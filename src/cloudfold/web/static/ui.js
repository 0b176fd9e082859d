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
  // Each live part names what it follows: the event types (data-live-types, default
  // resource_change) and, optionally, one resource (data-live-resource) or one account's events
  // (data-live-provider, e.g. a sync's pages). A burst of events re-reads the part once (500 ms).
  var SELECTOR = "[data-live-resource],[data-live-provider],[data-live-types]";
  function concerns(part, event) {
    var types = (part.getAttribute("data-live-types") || "resource_change").split(" ");
    if (types.indexOf(event.type) < 0) return false;
    var rid = part.getAttribute("data-live-resource"), pid = part.getAttribute("data-live-provider");
    if (rid !== null) return String(event.resource_id) === rid;
    if (pid !== null) return String(event.provider_id) === pid;
    return true;
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
    if (!document.querySelector(SELECTOR) || !window.WebSocket) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ui/live");
    socket.addEventListener("message", function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (!window.htmx) return;
      document.querySelectorAll(SELECTOR).forEach(function (part) { if (part.id && concerns(part, event)) reread(part); });
    });
    document.documentElement.setAttribute("data-live", "connecting");
    socket.addEventListener("open", function () { document.documentElement.setAttribute("data-live", "open"); });
    socket.addEventListener("close", function () { document.documentElement.setAttribute("data-live", "closed"); });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();  // nor does htmx send it (its listener sits on the form)
    }
  }, true);

  // A form swapped in place (data-in-place: a machine's action buttons) that the server refuses
  // shows the refusal page's message where the page was, as the plain form would (htmx swaps
  // no 4xx/5xx answer by itself).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status < 400 || !elt || !elt.hasAttribute || !elt.hasAttribute("data-in-place")) return;
    event.detail.shouldSwap = true;
    event.detail.isError = false;
    event.detail.target = document.getElementById("main");
    event.detail.selectOverride = "#main";
    event.detail.swapOverride = "outerHTML";
  });
})();

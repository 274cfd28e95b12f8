// Progressive enhancement for the admin pages: every page works without this file.
// An element with data-refresh="URL" is replaced, every few seconds, by the fragment that
// URL returns (progress of an import, an edition going out, the dashboard's editions),
// until the fragment says it is final (data-final) or the element leaves the page.
(function () {
  "use strict";
  var PERIOD_MS = 1500;

  function refresh(element) {
    var url = element.getAttribute("data-refresh");
    if (!url || element.hasAttribute("data-final")) { return; }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.redirected) { window.location.reload(); return ""; }  // signed out
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (!html) { return; }
          if (!fresh || !element.isConnected) { return; }
          element.replaceWith(fresh);
          refresh(fresh);
        })
        .catch(function () { refresh(element); });  // a blip: try again next period
    }, PERIOD_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refresh);
  });
})();

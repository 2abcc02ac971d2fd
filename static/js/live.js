// Live pages: GET #live's data-url (templates/partials/_live.html) every data-every ms while the tab
// is visible, not at all while it is hidden, and at once when it becomes visible again.
// The server answers 204 when nothing changed, so an idle poll swaps nothing.
(function () {
  "use strict";
  var timer = null;
  var failures = 0;

  function poller() {
    return document.getElementById("live");
  }

  function stop() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  }

  function schedule() {
    stop();
    var live = poller();
    if (!live || document.hidden || !window.htmx) return;
    var every = parseInt(live.getAttribute("data-every"), 10) || 15000;
    // Back off while the server does not answer (up to 8 times slower).
    timer = setTimeout(poll, every * Math.min(8, Math.pow(2, failures)));
  }

  function poll() {
    timer = null;
    var live = poller();
    if (!live || document.hidden) return;
    window.htmx.ajax("GET", live.getAttribute("data-url"), {
      source: live,
      target: live,
      swap: "outerHTML",
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      stop();
    } else {
      poll();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "live") {
      failures = event.detail.successful ? 0 : failures + 1;
      schedule();
    }
  });
  // A new poller swapped in (the old one may be gone before afterRequest bubbles up).
  document.addEventListener("htmx:load", function (event) {
    if (event.detail.elt && event.detail.elt.id === "live") schedule();
  });
  // A failed poll is retried on the next tick, not reported as a page error.
  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt && event.detail.elt.id === "live") event.preventDefault();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", schedule);
  } else {
    schedule();
  }
})();

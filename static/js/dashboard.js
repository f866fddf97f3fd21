// Drives the refresh of a page that has a #poller element.
//
// htmx's own "every 15s" trigger cannot pause on a hidden tab without a trigger filter, and
// filters need eval, which the Content-Security-Policy forbids. So this script fires the
// poller's custom "dashboard-poll" event itself: every data-poll-seconds while the tab is
// visible, at once when a hidden tab is shown again after its interval passed, and never
// while a poll is in flight (hx-sync="this:drop" on the poller guards that too).
(function () {
  "use strict";

  let lastPoll = Date.now();
  let inFlight = null;

  function poller() {
    const element = document.getElementById("poller");
    if (!element || !element.dataset.pollSeconds) {
      return null;
    }
    return element;
  }

  function intervalMs(element) {
    const seconds = Number(element.dataset.pollSeconds);
    return Number.isFinite(seconds) && seconds >= 1 ? seconds * 1000 : 15000;
  }

  function pollIfDue() {
    const element = poller();
    if (inFlight && !document.body.contains(inFlight)) {
      // A swap replaced the element whose request was in flight, so its afterRequest
      // event could not bubble up to the document.
      inFlight = null;
    }
    if (!element || document.hidden || inFlight) {
      return;
    }
    if (Date.now() - lastPoll >= intervalMs(element)) {
      lastPoll = Date.now();
      htmx.trigger(element, "dashboard-poll");
    }
  }

  function showConnectionBanner(show) {
    const banner = document.getElementById("connection-banner");
    if (banner) {
      banner.hidden = !show;
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "poller") {
      inFlight = event.target;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target.id === "poller") {
      inFlight = null;
      lastPoll = Date.now();
      showConnectionBanner(!event.detail.successful);
    }
  });
  document.addEventListener("visibilitychange", pollIfDue);
  window.setInterval(pollIfDue, 1000);
})();

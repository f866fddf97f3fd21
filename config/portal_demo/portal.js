// The demo portal: frames the dashboard at the path in ?path= and keeps its own address and
// title in step with the location messages the dashboard posts.
(function () {
  "use strict";

  const MESSAGE_TYPE = "sendcloud-tickets:location";
  const dashboard = document.body.dataset.dashboard;
  const dashboardOrigin = new URL(dashboard).origin;
  const frame = document.getElementById("dashboard-frame");

  function isDashboardPath(path) {
    return typeof path === "string" && path.charAt(0) === "/" && path.charAt(1) !== "/" && path.indexOf("\\") < 0;
  }

  const requested = new URLSearchParams(window.location.search).get("path");
  frame.src = dashboard + (isDashboardPath(requested) ? requested : "/");

  window.addEventListener("message", function (event) {
    if (event.origin !== dashboardOrigin || event.source !== frame.contentWindow) {
      return;
    }
    const data = event.data;
    if (!data || data.type !== MESSAGE_TYPE || !isDashboardPath(data.path)) {
      return;
    }
    const title = typeof data.title === "string" ? data.title : "";
    document.getElementById("dashboard-path").textContent = data.path;
    document.getElementById("dashboard-title").textContent = title;
    document.title = title ? title + " · Intranet portal" : "Intranet portal";
    const portalUrl = new URL(window.location.href);
    portalUrl.searchParams.set("path", data.path);
    window.history.replaceState(null, "", portalUrl.toString());
  });
})();

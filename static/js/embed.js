// Behaviour of the dashboard inside the intranet portal's frame, and the "copy link" button.
//
// When framed, the page gets compact chrome (the "framed" class on <html>; the server adds it
// at once when the browser sends Sec-Fetch-Dest: iframe) and tells its parent its current path
// and title whenever they change, so the portal can keep its own address and bookmarks in step.
// It posts only to a parent whose origin is listed in DASHBOARD_FRAME_ANCESTORS (the
// #embed-config JSON), and always names that origin as the target, never "*".
(function () {
  "use strict";

  const configElement = document.getElementById("embed-config");
  const config = configElement ? JSON.parse(configElement.textContent) || {} : {};
  const allowedOrigins = Array.isArray(config.parentOrigins) ? config.parentOrigins : [];
  const framed = window.parent !== window;
  let lastSent = null;

  function currentPath() {
    return window.location.pathname + window.location.search;
  }

  // The same encoding as tickets.security.portal_link: a query value that keeps its slashes.
  function shareLink() {
    if (config.portalLink) {
      const encoded = encodeURIComponent(currentPath()).replace(/%2F/gi, "/");
      return config.portalLink.split("{path}").join(encoded);
    }
    return window.location.href;
  }

  // The origins to post to. Chromium and Safari name the parent's origin in ancestorOrigins.
  // Other browsers get each allowed origin as the target, and they deliver the message only
  // where it matches the parent's origin.
  function parentTargets() {
    const ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length > 0) {
      return allowedOrigins.indexOf(ancestors[0]) >= 0 ? [ancestors[0]] : [];
    }
    return allowedOrigins;
  }

  function tellParent() {
    if (!framed) {
      return;
    }
    const message = {
      type: config.messageType,
      path: currentPath(),
      title: document.title,
      link: shareLink(),
    };
    const key = message.path + "\n" + message.title;
    if (key === lastSent) {
      return;
    }
    lastSent = key;
    parentTargets().forEach(function (origin) {
      try {
        window.parent.postMessage(message, origin);
      } catch (error) {
        // An origin the browser cannot parse: skip it, the others may still match.
      }
    });
  }

  function updateLinks() {
    const copyButton = document.querySelector(".copy-link");
    if (copyButton) {
      copyButton.dataset.link = shareLink();
    }
    const openLink = document.querySelector(".open-in-tab");
    if (openLink) {
      openLink.href = window.location.href;
    }
  }

  function showCopyStatus(text) {
    const status = document.querySelector(".copy-link-status");
    if (status) {
      status.textContent = text;
    }
  }

  function copyLink(button) {
    const link = button.dataset.link || shareLink();
    const copied = button.dataset.copiedText || "Link copied.";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(
        function () { showCopyStatus(copied); },
        function () { showCopyStatus(link); }
      );
    } else {
      // Without clipboard access (a frame not allowed clipboard-write), show the link to copy.
      showCopyStatus(link);
    }
  }

  function changed() {
    updateLinks();
    tellParent();
  }

  if (framed) {
    document.documentElement.classList.add("framed");
  }
  document.addEventListener("DOMContentLoaded", function () {
    const copyButton = document.querySelector(".copy-link");
    if (copyButton) {
      copyButton.addEventListener("click", function () { copyLink(copyButton); });
    }
    const title = document.querySelector("title");
    if (title) {
      // htmx replaces the title when a poll brings a new state.
      new MutationObserver(tellParent).observe(title, { childList: true, characterData: true, subtree: true });
    }
    changed();
  });
  document.addEventListener("htmx:pushedIntoHistory", changed);
  document.addEventListener("htmx:replacedInHistory", changed);
  document.addEventListener("htmx:historyRestore", changed);
  window.addEventListener("popstate", changed);
})();

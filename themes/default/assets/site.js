// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Readership, counted without cookies: once the page is shown to a
  // reader (not while a browser only prerenders it), one small report of
  // its address and the site the reader came from. Readers who ask not to
  // be tracked are not counted (the server checks the same signals).
  var self = document.currentScript;
  var countUrl = self && self.getAttribute("data-count");
  if (countUrl && navigator.doNotTrack !== "1" && !navigator.globalPrivacyControl) {
    var report = function () {
      var body = JSON.stringify({ path: location.pathname, referrer: document.referrer });
      if (!(navigator.sendBeacon && navigator.sendBeacon(countUrl, body))) {
        fetch(countUrl, { method: "POST", body: body, keepalive: true, credentials: "omit" }).catch(function () {});
      }
    };
    if (document.prerendering) {
      document.addEventListener("prerenderingchange", report, { once: true });
    } else {
      report();
    }
  }

  // "Keep reading" / "Show less" on related stories is a <details> element
  // and works without script. Here we only make "Show less" kinder: when the
  // collapsed teaser's top has scrolled out of view, bring it back, and keep
  // keyboard focus on the control the reader used.
  document.querySelectorAll("details.teaser-more").forEach(function (details) {
    var summary = details.querySelector("summary");
    if (!summary) return;
    details.addEventListener("toggle", function () {
      details.closest(".related-teaser").classList.toggle("is-open", details.open);
      if (!details.open) {
        var teaser = details.closest("article");
        if (teaser && teaser.getBoundingClientRect().top < 0) {
          teaser.scrollIntoView({ block: "start", behavior: "smooth" });
        }
        summary.focus({ preventScroll: true });
      }
    });
  });

  // Embedded videos load from their provider only when the reader asks.
  var PLAYERS = ["https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/"];
  document.querySelectorAll("figure.embed[data-player]").forEach(function (figure) {
    var player = figure.getAttribute("data-player") || "";
    var allowed = PLAYERS.some(function (prefix) { return player.indexOf(prefix) === 0; });
    if (!allowed) return;
    var provider = figure.getAttribute("data-provider") || "its site";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "embed-play";
    button.textContent = "Play here (loads from " + provider + ")";
    button.addEventListener("click", function () {
      var frame = document.createElement("iframe");
      frame.src = player + (player.indexOf("?") < 0 ? "?autoplay=1" : "&autoplay=1");
      frame.title = "Video from " + provider;
      frame.allow = "autoplay; fullscreen; picture-in-picture";
      frame.setAttribute("allowfullscreen", "");
      frame.loading = "lazy";
      figure.replaceChild(frame, button);
      frame.focus();
    });
    figure.insertBefore(button, figure.firstChild);
  });
})();

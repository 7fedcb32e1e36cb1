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

  // Live coverage: the page as rendered, then each change as it is made
  // (Server-Sent Events from this page's instance). Without scripting, a
  // reload shows the latest.
  var live = document.querySelector("[data-live-events]");
  if (live && window.EventSource) {
    var list = live.querySelector(".live-updates");
    var pinnedSlot = live.querySelector(".live-pinned");
    var status = live.querySelector(".live-status");
    var empty = live.querySelector(".live-empty");
    var url = live.getAttribute("data-live-events") + "?since=" + encodeURIComponent(live.getAttribute("data-live-seq") || "0");
    var source = new EventSource(url);
    var place = function (element, posted) {
      var after = null;
      Array.prototype.some.call(list.children, function (other) {
        if (Number(other.getAttribute("data-posted")) < posted) { after = other; return true; }
        return false;
      });
      list.insertBefore(element, after);
    };
    source.addEventListener("update", function (e) {
      var data = JSON.parse(e.data);
      var old = document.getElementById(data.anchor);
      var holder = document.createElement("div");
      holder.innerHTML = data.html;
      var element = holder.firstElementChild;
      if (!element) return;
      if (old) old.parentNode.removeChild(old);
      else element.classList.add("is-new");
      if (data.pinned) {
        Array.prototype.slice.call(pinnedSlot.children).forEach(function (was) {
          was.classList.remove("is-pinned");
          place(was, Number(was.getAttribute("data-posted")));
        });
        pinnedSlot.appendChild(element);
      } else {
        place(element, data.posted_at);
      }
      if (empty) { empty.parentNode.removeChild(empty); empty = null; }
      if (!old) status.textContent = "New update at " + element.querySelector("time").textContent + ".";
    });
    source.addEventListener("remove", function (e) {
      var data = JSON.parse(e.data);
      var gone = document.getElementById(data.anchor);
      if (gone) gone.parentNode.removeChild(gone);
    });
    source.addEventListener("end", function () {
      source.close();
      status.textContent = "Live coverage has ended. Reload the page for the final version.";
    });
    source.addEventListener("reload", function () {
      source.close();
      status.textContent = "Some updates could not reach this page. Reload it to see them all.";
    });
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

// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

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
})();

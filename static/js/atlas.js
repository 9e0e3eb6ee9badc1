// Small progressive enhancements; the site works without them. Loaded from 'self' (no inline scripts: CSP).
(function () {
  "use strict";

  // Lets CSS hide what only a page without JavaScript needs (".js .nojs-only").
  document.documentElement.classList.add("js");

  // <details data-open-wide> starts closed (a phone sees a short "Filters" toggle, JavaScript or not); where the
  // screen is wide enough to show it beside the results, open it.
  var wide = window.matchMedia("(min-width: 901px)");
  function openWhereWide(root) {
    if (!wide.matches) return;
    root.querySelectorAll("details[data-open-wide]").forEach(function (details) { details.open = true; });
  }
  if (wide.addEventListener) wide.addEventListener("change", function () { openWhereWide(document); });

  // Copy buttons: <button data-copy-target="ID" hidden> becomes visible only where the clipboard API exists.
  function setUpCopyButtons(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copyTarget);
        navigator.clipboard.writeText(source.textContent).then(function () {
          var label = button.textContent;
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = label; }, 1500);
        });
      });
    });
  }

  // Tell assistive technology when an htmx region is loading.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target) target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target) target.removeAttribute("aria-busy");
    setUpCopyButtons(document);
  });
  document.addEventListener("DOMContentLoaded", function () {
    setUpCopyButtons(document);
    openWhereWide(document);
  });
})();

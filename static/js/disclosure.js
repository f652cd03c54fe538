/* Parts of a page that fold behind a button on a narrow screen: the site's menu, the
 * catalogue's filters.
 *
 * A <button data-disclosure aria-expanded="false" aria-controls="id1 id2"> opens and
 * closes the elements it names: it sets aria-expanded and the class "is-open" on each.
 * The style sheet decides when a closed part is hidden (only on narrow screens, and only
 * when this script runs: it marks <html> with the class "js" at once, before the page is
 * drawn, so that nothing jumps). Without this script everything stays shown. Escape
 * closes an open part from the button or from inside it and puts the focus back on the
 * button.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function targets(button) {
    return (button.getAttribute("aria-controls") || "")
      .split(/\s+/)
      .map(function (id) { return id && document.getElementById(id); })
      .filter(Boolean);
  }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    targets(button).forEach(function (target) {
      target.classList.toggle("is-open", open);
    });
  }

  function start() {
    var buttons = document.querySelectorAll("button[data-disclosure]");
    Array.prototype.forEach.call(buttons, function (button) {
      var parts = targets(button);
      if (!parts.length) {
        button.parentNode.removeChild(button);
        return;
      }
      var open = button.getAttribute("aria-expanded") === "true";
      setOpen(button, open);
      button.addEventListener("click", function () {
        setOpen(button, button.getAttribute("aria-expanded") !== "true");
      });
      function closeOnEscape(event) {
        if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
          setOpen(button, false);
          button.focus();
        }
      }
      button.addEventListener("keydown", closeOnEscape);
      parts.forEach(function (part) { part.addEventListener("keydown", closeOnEscape); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

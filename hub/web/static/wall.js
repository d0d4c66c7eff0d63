// The duty wall reloads itself every minute (fresh figures on an unattended screen);
// anyone at the screen can pause it (WCAG 2.2.1: a time limit the user can turn off).
(function () {
  "use strict";
  var button = document.querySelector("[data-pause]");
  var paused = false;
  if (button) {
    button.addEventListener("click", function () {
      paused = !paused;
      button.setAttribute("aria-pressed", String(paused));
      button.textContent = paused ? "继续自动刷新" : "暂停自动刷新";
    });
  }
  setInterval(function () {
    if (!paused && document.visibilityState === "visible") {
      window.location.reload();
    }
  }, 60000);
})();

// Comfort only: every console page works without this file.
// A form, once sent, cannot be sent twice by an impatient second click.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    var buttons = form.querySelectorAll("button[type='submit']");
    for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute("aria-disabled", "true");
  });
})();

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

// Photo uploads: progress while the files go up (the form posts normally without script).
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-upload]");
  Array.prototype.forEach.call(forms, function (form) {
    var bar = form.querySelector("progress");
    var input = form.querySelector("input[type='file']");
    if (!bar || !input || !window.XMLHttpRequest || !window.FormData) return;
    // Files dropped anywhere on the form go into its file input.
    form.addEventListener("dragover", function (e) { e.preventDefault(); form.classList.add("dropping"); });
    form.addEventListener("dragleave", function () { form.classList.remove("dropping"); });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      form.classList.remove("dropping");
      if (e.dataTransfer && e.dataTransfer.files.length) input.files = e.dataTransfer.files;
    });
    form.addEventListener("submit", function (e) {
      if (!input.files || !input.files.length) return;
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) bar.value = Math.round((p.loaded / p.total) * 100);
      });
      xhr.addEventListener("load", function () {
        // The server answers with the page to show (after a redirect, or with the problem).
        document.open();
        document.write(xhr.responseText);
        document.close();
        // After a redirect, the page's own url; never the upload's (it carries the form token).
        if (xhr.responseURL && xhr.responseURL.indexOf("csrf=") === -1) {
          history.replaceState(null, "", xhr.responseURL);
        }
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  });
})();

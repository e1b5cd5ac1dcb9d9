// Comfort only: every page works without this file.
// The order form: the browser's time zone, so the buyer's emails say times in it.
(function () {
  "use strict";
  var field = document.getElementById("f-time-zone");
  if (!field || field.value) return;
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    field.value = "";
  }
})();
// The country picker: typing narrows the list, Enter on a single match picks it.
(function () {
  "use strict";
  var filter = document.getElementById("country-filter");
  var select = document.getElementById("country");
  if (!filter || !select) return;
  filter.hidden = false;
  var options = Array.prototype.slice.call(select.options);
  filter.addEventListener("input", function () {
    var q = filter.value.trim().toLowerCase();
    var first = null;
    options.forEach(function (o) {
      var match = !q || o.text.toLowerCase().indexOf(q) !== -1 || o.value.toLowerCase() === q;
      o.hidden = !match;
      if (match && !first) first = o;
    });
    if (first) select.value = first.value;
  });
})();

// The order page: copy the amount, the reference or an account number in one tap.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("button.copy").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied") || "✓";
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();

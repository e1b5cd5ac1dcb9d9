// Comfort only: every page works without this file.
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

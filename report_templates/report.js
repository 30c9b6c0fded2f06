// Sorting and filtering for report.html tables; plain DOM, no libraries, no network.
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function toNumber(text) {
    // Only plain numbers sort numerically; "2026-01-31" or "1: 40" sort as text.
    return /^-?\d+(\.\d+)?$/.test(text) ? parseFloat(text) : null;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      th.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        // Read each key once (10,000-row tables), then sort the keys.
        var keyed = Array.prototype.map.call(body.rows, function (row) {
          var text = cellValue(row, index);
          return { text: text, number: toNumber(text), row: row };
        });
        keyed.sort(function (a, b) {
          var c = (a.number !== null && b.number !== null) ? a.number - b.number : collator.compare(a.text, b.text);
          return ascending ? c : -c;
        });
        var frag = document.createDocumentFragment();
        keyed.forEach(function (k) { frag.appendChild(k.row); });
        body.appendChild(frag);
      });
    });
  });
  function applyFilter(input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0, rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var text = rows[i].textContent.toLowerCase();
      var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
      rows[i].hidden = !match;
      if (match) { shown++; }
    }
    var counter = document.querySelector('[data-count-for="' + table.id + '"]');
    var noun = rows.length === 1 ? " row" : " rows";
    if (counter) { counter.textContent = terms.length ? shown + " of " + rows.length + noun : rows.length + noun; }
  }
  document.querySelectorAll("input.filter").forEach(function (input) {
    input.addEventListener("input", function () { applyFilter(input); });
    applyFilter(input);
  });
}());

// Daiban outlet pages: a little help where JavaScript runs; every page works without it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Item search: filter the list as the clerk types (name, code or pinyin initials).
    document.querySelectorAll("[data-filter]").forEach(function (input) {
      var list = document.querySelector(input.getAttribute("data-filter"));
      var empty = document.getElementById("items-empty");
      if (!list) return;
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        var shown = 0;
        list.querySelectorAll("li").forEach(function (li) {
          var hit = !q || li.getAttribute("data-search").indexOf(q) !== -1;
          li.hidden = !hit;
          if (hit) shown += 1;
        });
        if (empty) empty.hidden = shown > 0;
      });
    });
    // The county list: a search box narrows the options of its <select> (name or code).
    document.querySelectorAll("[data-filter-options]").forEach(function (input) {
      var select = document.querySelector(input.getAttribute("data-filter-options"));
      if (!select) return;
      input.hidden = false;  // shown, with its label, only where it works
      Array.prototype.forEach.call(input.labels || [], function (label) { label.hidden = false; });
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        var first = null;
        select.querySelectorAll("optgroup").forEach(function (group) {
          var shown = 0;
          group.querySelectorAll("option").forEach(function (option) {
            var hit = !q || (group.label + " " + option.textContent).toLowerCase().indexOf(q) !== -1;
            option.hidden = !hit;
            if (hit) { shown += 1; if (!first) first = option; }
          });
          group.hidden = shown === 0;
        });
        if (q && first && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
          first.selected = true;
        }
      });
    });
    // Choosing a file ticks "scan / photo" for that material.
    document.querySelectorAll("input[type=file][data-choose]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (!input.files.length) return;
        var radio = document.querySelector(
          'input[name="' + input.getAttribute("data-choose") + '"][value="scan"]');
        if (radio) radio.checked = true;
      });
    });
    // Mail fields only when "mail" is chosen.
    document.querySelectorAll("[data-show-when]").forEach(function (box) {
      var rule = box.getAttribute("data-show-when").split("=");
      var radios = document.querySelectorAll('input[name="' + rule[0] + '"]');
      function update() {
        var chosen = document.querySelector('input[name="' + rule[0] + '"]:checked');
        box.hidden = !(chosen && chosen.value === rule[1]);
      }
      radios.forEach(function (r) { r.addEventListener("change", update); });
      update();
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();

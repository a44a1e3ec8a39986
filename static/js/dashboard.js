// Staff dashboard: every 20 s, fetch the campaign's figures and put them in
// place, so the page stays current without a reload. Charts arrive as
// server-drawn SVG; donor labels are set as text, never as HTML.
(function () {
  "use strict";
  var root = document.querySelector("[data-dashboard]");
  if (!root) { return; }

  function apply(data) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var figure = data.figures[el.dataset.figure];
      if (figure) { el.textContent = figure.text; }
    });
    var bar = root.querySelector("[data-progress]");
    bar.setAttribute("aria-valuenow", data.figures.bar_percent.value);
    bar.firstElementChild.style.width = data.figures.bar_percent.value + "%";
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var open = el.querySelector("details[open]") !== null;
      el.innerHTML = data.charts[el.dataset.chart];
      // Keep a table the reader opened open across refreshes.
      if (open) { el.querySelector("details").open = true; }
    });
    var body = root.querySelector("[data-last-gifts]");
    if (data.last_gifts.length) {
      body.replaceChildren.apply(body, data.last_gifts.map(function (gift) {
        var tr = document.createElement("tr");
        ["when", "amount", "campaign", "donor", "method", "note"].forEach(function (key, i) {
          var td = document.createElement("td");
          td.textContent = gift[key];
          if (i === 1) { td.className = "num"; }
          tr.appendChild(td);
        });
        return tr;
      }));
    }
    root.querySelector("[data-status]").textContent =
      root.dataset.updated.replace("%s", data.generated_text);
  }

  function refresh() {
    if (document.hidden) { return; }
    fetch(root.dataset.url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(apply)
      .catch(function () {
        root.querySelector("[data-status]").textContent = root.dataset.failed;
      });
  }

  window.setInterval(refresh, 20000);
})();

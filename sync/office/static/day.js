// The day page stays live: every 5 s the reports' table is fetched again and swapped in.
// Without JavaScript the page's <noscript> refresh does the same for the whole page.
(function () {
  var box = document.getElementById("day-table");
  if (!box) return;
  async function again() {
    try {
      var answer = await fetch(box.dataset.src, { credentials: "same-origin" });
      if (answer.ok) box.innerHTML = await answer.text();
    } catch (e) { /* offline for a moment: the next round tries again */ }
  }
  setInterval(again, 5000);
})();

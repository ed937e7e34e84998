// feedpub: the pages' only script. It adds to pages that are complete
// without it: the index page's filter box, and the preview pages' copy
// button. It touches the DOM only through hidden, textContent and value,
// so that the pages keep their Content-Security-Policy (no inline script,
// Trusted Types required).
"use strict";
(function () {
  function norm(s) {
    return (s.normalize ? s.normalize("NFKC") : s).toLowerCase();
  }

  var box = document.getElementById("filter");
  if (box) {
    var input = document.getElementById("q");
    var status = document.getElementById("matches");
    var groups = [];
    var total = 0;
    document.querySelectorAll("section[data-kind]").forEach(function (sec) {
      var entries = [];
      sec.querySelectorAll("li").forEach(function (li) {
        entries.push({ li: li, text: norm(li.firstElementChild.textContent) });
      });
      total += entries.length;
      groups.push({ sec: sec, count: sec.querySelector("h2 .n"), entries: entries });
    });
    var pending = 0;
    var apply = function () {
      pending = 0;
      var words = norm(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      groups.forEach(function (g) {
        var n = 0;
        g.entries.forEach(function (e) {
          var ok = words.every(function (w) { return e.text.indexOf(w) >= 0; });
          if (e.li.hidden === ok) { e.li.hidden = !ok; }
          if (ok) { n++; }
        });
        g.sec.hidden = n === 0;
        if (g.count) { g.count.textContent = words.length ? n + " / " + g.entries.length : String(g.entries.length); }
        shown += n;
      });
      status.textContent = words.length ? (shown ? shown + " / " + total : status.getAttribute("data-none")) : "";
    };
    input.addEventListener("input", function () {
      if (!pending) { pending = requestAnimationFrame(apply); }
    });
    box.hidden = false;
    if (input.value) { apply(); }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var field = document.getElementById(b.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) { return; }
    b.hidden = false;
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        b.textContent = b.getAttribute("data-done");
      }, function () {
        field.select();
      });
    });
  });
  document.querySelectorAll("input[readonly]").forEach(function (f) {
    f.addEventListener("focus", function () { f.select(); });
  });
})();

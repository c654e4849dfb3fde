// smsd dashboard: live fragments, the send form's segment count and its submission.
// No framework and no build step; every text shown comes escaped from the server or is set
// with textContent.
"use strict";

(function () {
  const main = document.getElementById("main");
  if (!main) return;
  const csrf = main.dataset.csrf || "";
  const every = Math.max(1000, parseInt(main.dataset.refreshMs || "5000", 10));

  // Elements with data-refresh="URL" are replaced by the server's fragment at a bounded rate,
  // and not while the page is hidden.
  function refresh() {
    if (document.hidden) return;
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      fetch(el.dataset.refresh, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.status === 401) { window.location = "/web/login"; return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) { if (html !== null && html !== el.innerHTML) el.innerHTML = html; })
        .catch(function () { /* offline for a moment: try again at the next tick */ });
    });
  }
  if (document.querySelector("[data-refresh]")) setInterval(refresh, every);

  const form = document.getElementById("send-form");
  if (!form) return;
  const text = document.getElementById("text");
  const count = document.getElementById("count");
  const result = document.getElementById("result");
  let timer = null;

  function counted() {
    const value = text.value;
    fetch("/api/segments?text=" + encodeURIComponent(value), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        const c = body.response;
        if (!c) { count.textContent = body.message || ""; return; }
        count.textContent = c.characters + " characters, " + c.segments + " SMS (" +
          (c.encoding === "gsm7" ? "GSM 7-bit" : "Unicode") + "), " + c.remaining + " left in this SMS";
        count.dataset.segments = c.segments;
        count.dataset.encoding = c.encoding;
      })
      .catch(function () { count.textContent = ""; });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(counted, 150);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const data = new FormData(form);
    result.textContent = "Sending…";
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
    })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        result.textContent = "";
        const lines = body.ok ? ["Message " + body.id + " scheduled."] : body.errors;
        lines.forEach(function (line) {
          const p = document.createElement("p");
          p.className = body.ok ? "ok" : "error";
          p.textContent = line;
          result.appendChild(p);
        });
        if (body.ok) {
          text.value = "";
          count.textContent = "0 characters";
          form.elements.submission.value = body.submission;  // the next message is a new one
        }
      })
      .catch(function () { result.textContent = "The daemon did not answer: try again."; });
  });
})();

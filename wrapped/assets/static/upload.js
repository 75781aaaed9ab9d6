// The upload page: send the export to POST /v1/imports, poll GET /v1/imports/{id} until it
// is done, then open the listener's story of the chosen year (or of the latest year in
// their history). Everything shown comes from the API's own answers, set as text.
(function () {
  "use strict";

  var form = document.querySelector("[data-upload]");
  if (!form) return;
  var imports = form.getAttribute("data-imports");
  var users = form.getAttribute("data-users");
  var csrf = form.getAttribute("data-csrf");
  var error = form.querySelector("[data-error]");
  var submit = form.querySelector("[data-submit]");
  var status = document.querySelector("[data-status]");
  var title = status.querySelector("[data-status-title]");
  var bar = status.querySelector("[data-bar]");
  var detail = status.querySelector("[data-detail]");
  var failure = status.querySelector("[data-failure]");
  var link = status.querySelector("[data-story-link]");
  var POLL_MS = 400;

  function say(node, text) {
    node.textContent = text;
    node.hidden = !text;
  }

  function problem(body, fallback) {
    var first = body && body.detail && body.detail[0];
    return (first && first.msg) || fallback;
  }

  function readJson(response) {
    return response.json().then(
      function (body) { return { ok: response.ok, status: response.status, body: body }; },
      function () { return { ok: response.ok, status: response.status, body: null }; }
    );
  }

  function plural(n, word) {
    return n.toLocaleString("en") + " " + word + (n === 1 ? "" : "s");
  }

  // The server names a file by where the upload waited ("/tmp/.../003_name.json"); the
  // person knows it by its own name.
  function uploadName(text) {
    return text.replace(/(?:[^\s:]*\/)?\d{3}_([^\s/:]+)/g, "$1");
  }

  function userUrl(user) {
    return users + "/" + encodeURIComponent(user);
  }

  function fail(text) {
    title.textContent = "That did not work";
    say(failure, text);
    submit.disabled = false;
    form.hidden = false;
    status.focus();
  }

  function latestYear(user) {
    return fetch(userUrl(user) + "/history?limit=1").then(readJson).then(function (r) {
      if (!r.ok || !r.body.data.length) throw new Error("No plays were imported.");
      return new Date(r.body.data[0].ts).getUTCFullYear();
    });
  }

  function openStory(user, chosen) {
    title.textContent = "Making your Wrapped…";
    var year = chosen ? Promise.resolve(chosen) : latestYear(user);
    year.then(function (y) {
      var base = userUrl(user) + "/wrapped/" + y;
      return fetch(base).then(readJson).then(function (r) {
        if (!r.ok) throw new Error(problem(r.body, "Your Wrapped of " + y + " could not be made."));
        title.textContent = "Your Wrapped " + y + " is ready";
        link.href = base + "/story";
        link.hidden = false;
        window.location.assign(base + "/story");
      });
    }).catch(function (e) { fail(e.message); });
  }

  function poll(url, user, year) {
    fetch(url).then(readJson).then(function (r) {
      if (!r.ok) throw new Error(problem(r.body, "The import could not be followed."));
      var job = r.body;
      bar.value = Math.round(job.progress * 100);
      bar.textContent = bar.value + "%";
      detail.textContent = bar.value + "% · " + plural(job.imported, "play") + " imported" +
        (job.duplicates ? ", " + plural(job.duplicates, "duplicate") + " already here" : "");
      if (job.status === "failed") throw new Error(uploadName(job.error || "The import failed."));
      if (job.status === "done") {
        title.textContent = "Imported";
        openStory(user, year);
        return;
      }
      title.textContent = job.status === "queued" ? "Waiting to import…" : "Importing…";
      window.setTimeout(function () { poll(url, user, year); }, POLL_MS);
    }).catch(function (e) { fail(e.message); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say(error, "");
    var user = form.elements.user_id.value.trim();
    var files = form.elements.files.files;
    var yearText = form.elements.year.value.trim();
    if (!user) { say(error, "Please give a name."); form.elements.user_id.focus(); return; }
    if (!files.length) { say(error, "Please choose your export."); form.elements.files.focus(); return; }
    if (yearText && !/^\d{4}$/.test(yearText)) {
      say(error, "The year is four digits, like 2025."); form.elements.year.focus(); return;
    }
    var data = new FormData();
    data.append("user_id", user);
    data.append("format", form.elements.format.value);
    Array.prototype.forEach.call(files, function (file) { data.append("files", file, file.name); });
    submit.disabled = true;
    status.hidden = false;
    say(failure, "");
    title.textContent = "Uploading…";
    bar.value = 0;
    detail.textContent = "";
    var headers = csrf ? { "X-CSRF-Token": csrf } : {};
    fetch(imports, { method: "POST", body: data, headers: headers }).then(readJson).then(function (r) {
      if (!r.ok) throw new Error(problem(r.body, "The upload was refused."));
      form.hidden = true;
      status.focus();
      poll(imports + "/" + encodeURIComponent(r.body.id), user, yearText ? Number(yearText) : null);
    }).catch(function (e) { fail(e.message); });
  });
})();

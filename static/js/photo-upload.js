/* Photo upload with a progress bar per file.
 *
 * Progressive enhancement of the lot's photo form: without this script the form posts
 * all chosen files at once to the page itself. With it, each file gets its own
 * description field and progress bar and is posted on its own (XMLHttpRequest, for its
 * upload progress events) to the form's data-upload-url; the server answers JSON with
 * the new photo's list item, which is added to the list, and the file leaves the queue (a
 * failed one stays with its reason). Messages come translated from
 * the form's data-text-* attributes and are announced in the aria-live status region.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-photo-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest || !window.Promise) {
    return;
  }
  var input = form.querySelector('input[type="file"]');
  var sharedAlt = form.querySelector(".shared-alt");
  var sharedAltInput = sharedAlt ? sharedAlt.querySelector("input") : null;
  var queue = document.getElementById("upload-queue");
  var status = document.getElementById("upload-status");
  var list = document.getElementById("photo-list");
  var empty = document.getElementById("no-photos");
  var counter = document.getElementById("photo-count");
  var button = form.querySelector('button[type="submit"]');
  var token = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
  var rows = [];
  var busy = false;

  function text(key, values) {
    var template = form.getAttribute("data-text-" + key) || "";
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name)
        ? String(values[name])
        : match;
    });
  }

  function announce(message) {
    status.textContent = message;
  }

  function buildQueue() {
    queue.textContent = "";
    rows = [];
    Array.prototype.forEach.call(input.files || [], function (file, index) {
      var id = "photo-alt-" + index;
      var item = document.createElement("li");
      item.className = "upload-item";

      var field = document.createElement("div");
      field.className = "field";
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = text("describe", { name: file.name });
      var alt = document.createElement("input");
      alt.type = "text";
      alt.id = id;
      alt.maxLength = 300;
      alt.value = sharedAltInput ? sharedAltInput.value : "";
      field.append(label, alt);

      var meter = document.createElement("div");
      meter.className = "upload-meter";
      var progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", text("progress", { name: file.name }));
      var state = document.createElement("span");
      state.className = "upload-state";
      state.textContent = text("waiting");
      meter.append(progress, state);

      item.append(field, meter);
      queue.appendChild(item);
      rows.push({ file: file, alt: alt, progress: progress, state: state, item: item });
    });
    queue.hidden = rows.length === 0;
    if (sharedAlt) {
      sharedAlt.hidden = rows.length > 0; // each file has its own description now
    }
  }

  function finish(row, ok, message) {
    row.item.classList.add(ok ? "is-done" : "is-failed");
    row.state.textContent = message;
    announce(message);
  }

  function upload(row, index, total) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token);
      data.append("image", row.file, row.file.name);
      data.append("alt_text", row.alt.value);

      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload-url"));
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          var percent = Math.round((event.loaded / event.total) * 100);
          row.progress.value = percent;
          row.state.textContent = percent + " %";
        }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (error) {
          body = null; // a login page or an error page: not our JSON
        }
        if (xhr.status === 201 && body && body.html) {
          row.progress.value = 100;
          list.insertAdjacentHTML("beforeend", body.html);
          if (window.htmx) {
            window.htmx.process(list.lastElementChild); // the new tile follows its sizes
          }
          finish(row, true, text("added", { name: row.file.name }));
          resolve(true);
        } else {
          var reason = body && body.error ? body.error : text("unexpected", { status: xhr.status });
          finish(row, false, text("failed", { name: row.file.name, reason: reason }));
          resolve(false);
        }
      });
      function interrupted() {
        finish(row, false, text("failed", { name: row.file.name, reason: text("network") }));
        resolve(false);
      }
      xhr.addEventListener("error", interrupted);
      xhr.addEventListener("abort", interrupted);
      xhr.addEventListener("timeout", interrupted);

      announce(text("uploading", { name: row.file.name, index: index + 1, total: total }));
      row.state.textContent = "0 %";
      xhr.send(data);
    });
  }

  function setBusy(value) {
    busy = value;
    // aria-disabled, not disabled: the button keeps the keyboard focus while it works
    button.setAttribute("aria-disabled", value ? "true" : "false");
    input.disabled = value;
    rows.forEach(function (row) {
      row.alt.disabled = value;
    });
    form.setAttribute("aria-busy", value ? "true" : "false");
  }

  input.addEventListener("change", buildQueue);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    if (!rows.length) {
      announce(text("choose"));
      input.focus();
      return;
    }
    var batch = rows;
    var added = 0;
    var failed = 0;
    setBusy(true);
    var chain = Promise.resolve();
    batch.forEach(function (row, index) {
      chain = chain
        .then(function () {
          return upload(row, index, batch.length);
        })
        .then(function (ok) {
          if (ok) {
            added += 1;
          } else {
            failed += 1;
          }
        });
    });
    chain.then(function () {
      setBusy(false);
      // A photo that is in the list leaves the queue; a failed file stays with its
      // reason, without a description field that nothing would send any more. A new
      // choice starts a new batch.
      batch.forEach(function (row) {
        if (row.item.classList.contains("is-done")) {
          row.item.remove();
        } else {
          row.alt.parentNode.remove();
        }
      });
      rows = [];
      queue.hidden = queue.children.length === 0;
      input.value = "";
      if (sharedAlt) {
        sharedAlt.hidden = false;
      }
      var count = list.querySelectorAll(".photo-item").length;
      if (counter) {
        counter.textContent = String(count);
      }
      if (empty) {
        empty.hidden = count > 0;
      }
      announce(text("done", { added: added, failed: failed }));
    });
  });
})();

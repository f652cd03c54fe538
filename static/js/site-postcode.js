/* The site form fills in the municipality and the point of a Belgian postcode.
 *
 * Progressive enhancement: without this script the server derives what is left empty.
 * With it, once four digits are typed the postcode's place is asked of the form's
 * data-postcode-url and written into the fields the person has not typed in themselves
 * (so a corrected point stays); the status region says what was filled in.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-site-form]");
  if (!form || !window.fetch) {
    return;
  }
  function field(name) {
    return form.querySelector('[name$="-' + name + '"], [name="' + name + '"]');
  }
  var postcode = field("postcode");
  var targets = ["municipality", "latitude", "longitude"].map(field);
  var status = document.getElementById("site-postcode-status");
  var filled = {};
  if (!postcode) {
    return;
  }
  targets.forEach(function (input) {
    if (input) {
      input.addEventListener("input", function () {
        filled[input.name] = false;
      });
    }
  });
  function fill(place) {
    var values = [place.municipality, place.latitude, place.longitude];
    targets.forEach(function (input, index) {
      if (input && (input.value === "" || filled[input.name])) {
        input.value = values[index];
        filled[input.name] = true;
      }
    });
    if (status) {
      status.textContent = (form.getAttribute("data-text-filled") || "")
        .replace("%(postcode)s", place.postcode)
        .replace("%(municipality)s", place.municipality)
        .replace("%(latitude)s", place.latitude)
        .replace("%(longitude)s", place.longitude);
    }
  }
  postcode.addEventListener("input", function () {
    var code = postcode.value.trim();
    if (!/^\d{4}$/.test(code)) {
      return;
    }
    var url = form.getAttribute("data-postcode-url").replace("0000", code);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (place) {
        if (place && postcode.value.trim() === code) {
          fill(place);
        }
      })
      .catch(function () {});
  });
})();

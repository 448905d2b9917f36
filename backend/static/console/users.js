// Users pages: the password field is only needed when the admin types the
// password; with "Buat kata sandi acak" chosen it is disabled (and skipped by Tab).
(function () {
  "use strict";
  function wire(box) {
    var input = box.querySelector('input[name="password"]');
    var radios = box.querySelectorAll('input[name="password_mode"]');
    function update() {
      var own = box.querySelector('input[name="password_mode"][value="sendiri"]');
      input.disabled = !(own && own.checked);
      input.required = !input.disabled;
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-password-choice]").forEach(wire);
  });
})();

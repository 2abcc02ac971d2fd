// Mapping editor: choosing a field of the sample record in a row's picker writes its path
// into the row's source box (the free text stays the source of truth) and resets the
// picker. Runs in the capture phase, before htmx posts the form for the live preview.
// Without JavaScript the server reads the picker (fields.rows_from_post) instead.
(function () {
  "use strict";
  document.addEventListener(
    "change",
    function (event) {
      var picker = event.target;
      if (!picker.classList || !picker.classList.contains("pick") || !picker.value) return;
      var box = document.getElementById(picker.getAttribute("data-for"));
      if (!box) return;
      box.value = picker.value;
      picker.value = "";
    },
    true
  );
})();

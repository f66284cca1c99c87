// The agency page's drag-and-drop upload (progressive enhancement: the plain file input and
// the submit button work without this script). No inline script anywhere (CSP script-src 'self').
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var drop = document.getElementById("drop");
  var input = document.getElementById("file");
  var busy = document.getElementById("busy");
  function submitting() {
    if (busy) { busy.hidden = false; }
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
  }
  form.addEventListener("submit", submitting);
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (!e.dataTransfer || !e.dataTransfer.files || e.dataTransfer.files.length === 0) { return; }
    input.files = e.dataTransfer.files;
    submitting();
    form.submit();
  });
  input.addEventListener("change", function () {
    var name = input.files && input.files.length ? input.files[0].name : "";
    drop.querySelector(".drop-title").textContent = name ? "已选择：" + name : "把填好的报表文件拖到这里";
  });
})();

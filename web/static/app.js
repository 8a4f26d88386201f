// mfad web page: the little that needs script. Everything works without
// it except copying and downloading the scratch codes.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var list = document.getElementById("scratch-codes");
  if (!list) {
    return;
  }
  var codes = Array.prototype.map.call(list.querySelectorAll("code"), function (c) {
    return c.textContent.trim();
  });
  var text = "mfad scratch codes\n" +
    "Each code works once. Keep them somewhere safe.\n\n" +
    codes.join("\n") + "\n";
  var status = document.getElementById("codes-status");
  function say(msg) {
    if (status) {
      status.textContent = msg;
    }
  }

  var copy = document.getElementById("copy-codes");
  if (copy && navigator.clipboard && window.isSecureContext !== false) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(codes.join("\n") + "\n").then(function () {
        say("Copied " + codes.length + " codes to the clipboard.");
      }, function () {
        say("Copying did not work here. Select the codes and copy them by hand, or download them.");
      });
    });
  }

  var download = document.getElementById("download-codes");
  if (download) {
    download.href = "data:text/plain;charset=utf-8," + encodeURIComponent(text);
    download.hidden = false;
    download.addEventListener("click", function () {
      say("Downloading mfad-scratch-codes.txt.");
    });
  }
});

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

// Times: the page names them in UTC; show them in the browser's time zone,
// keeping the UTC text as the tooltip.
document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (isNaN(d.getTime())) {
      return;
    }
    var opts = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    if (t.hasAttribute("data-clock")) {
      opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" };
    } else if (t.closest("td.time")) {
      opts.second = "2-digit";
    }
    t.title = t.textContent;
    t.textContent = d.toLocaleString(undefined, opts);
  });
});

// The setup key: copy it without the spaces between its groups.
document.addEventListener("DOMContentLoaded", function () {
  var secret = document.getElementById("secret");
  var copy = document.getElementById("copy-secret");
  if (!secret || !copy || !navigator.clipboard || window.isSecureContext === false) {
    return;
  }
  var status = document.getElementById("secret-status");
  copy.hidden = false;
  copy.addEventListener("click", function () {
    navigator.clipboard.writeText(secret.textContent.replace(/\s+/g, "")).then(function () {
      status.textContent = "Copied the key to the clipboard.";
    }, function () {
      status.textContent = "Copying did not work here. Select the key and copy it by hand.";
    });
  });
});

// Counts the objects this page referenced once they have all arrived, and says how they
// came: the browser's Resource Timing entries name each object it fetched.
"use strict";

function describeObjects() {
  const count = document.getElementById("object-count");
  if (!count) {
    return;
  }
  const images = document.images.length;
  const sheets = document.querySelectorAll("link[rel=stylesheet]").length;
  const scripts = document.querySelectorAll("script[src]").length;
  const total = images + sheets + scripts;
  count.textContent = "This page references " + total + " objects: " + images +
    " images, " + sheets + " stylesheet and " + scripts + " script.";
  count.dataset.objects = String(total);
}

window.addEventListener("load", describeObjects);

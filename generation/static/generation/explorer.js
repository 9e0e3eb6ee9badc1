// The latent explorer's sliders (templates/generation/explorer.html). Without this file the page is a plain
// GET form whose answer shows the frame; with it, moving a slider asks for that frame at once: requests are
// debounced, a newer one aborts the older (AbortController), and each waits on the server for its frame
// (Prefer: wait=N) instead of polling. The address bar follows the state, so every view is a shareable URL.
(function () {
  "use strict";

  var DEBOUNCE_MS = 40;
  var WAIT_S = 8;

  function setUp(root) {
    var form = root.querySelector("form");
    var image = root.querySelector("#explorer-image");
    var caption = root.querySelector("#explorer-caption");
    var status = root.querySelector("#explorer-status");
    var share = root.querySelector("#explorer-share");
    var frameUrl = root.dataset.frameUrl;
    var controller = null;
    var timer = null;
    var asked = 0;

    function mode() {
      var checked = form.querySelector('input[name="mode"]:checked');
      return checked ? checked.value : "line";
    }
    root.dataset.mode = mode();

    function say(text) {
      status.textContent = text;
      status.hidden = !text;
    }

    function query() {
      return new URLSearchParams(new FormData(form)).toString();
    }

    function describe(body) {
      var near = body.nearest || {};
      var others = (body.panels || []).slice(1).join(", ");
      return "Left: the frame. Then: " + others + ". Nearest training image: #" + near.index +
        " (class " + near["class"] + "), RMS distance " + near.rms + " of the grey range.";
    }

    function show(body, started) {
      if (image.getAttribute("src") !== body.image) {
        image.addEventListener("load", function loaded() {
          image.removeEventListener("load", loaded);
          root.dataset.lastMs = String(Math.round(performance.now() - started));
        });
        image.src = body.image;
      }
      image.hidden = false;
      image.alt = "Frame of the latent explorer, then the nearest training image";
      root.dataset.frameKey = body.key;
      caption.textContent = describe(body);
      share.href = "?" + body.query;
      history.replaceState(null, "", "?" + body.query);
      say("");
    }

    function ask() {
      timer = null;
      var fields = form.querySelectorAll("input:not([type=range]):not([type=radio])");
      for (var i = 0; i < fields.length; i++) {
        if (!fields[i].checkValidity()) { say(fields[i].name + ": " + fields[i].title + fields[i].validationMessage); return; }
      }
      if (controller) controller.abort();
      controller = new AbortController();
      var signal = controller.signal;
      var started = performance.now();
      var number = ++asked;
      root.setAttribute("aria-busy", "true");
      fetch(frameUrl + "?" + query(), {
        headers: { "Accept": "application/json", "Prefer": "wait=" + WAIT_S },
        credentials: "same-origin",
        signal: signal
      }).then(function (response) {
        return response.json().then(function (body) { return { code: response.status, body: body }; });
      }).then(function (answer) {
        if (number !== asked) return;
        root.removeAttribute("aria-busy");
        var body = answer.body;
        if (answer.code === 200) { show(body, started); askOverview(); return; }
        if (answer.code === 202) { say("Still being made…"); schedule(0); return; }
        if (answer.code === 429) { say("Too many new frames; trying again in " + body.retry_after + " s."); schedule(1000 * body.retry_after); return; }
        if (answer.code === 400) {
          say(Object.keys(body.errors).map(function (k) { return k + ": " + body.errors[k]; }).join("; "));
          return;
        }
        say(body.error || "The frame could not be made.");
      }).catch(function (error) {
        if (error.name !== "AbortError" && number === asked) { root.removeAttribute("aria-busy"); say("The frame could not be fetched."); }
      });
    }

    // The overview (the whole line or grid at once) changes only with a, b, the directions or the mode.
    var overview = root.querySelector("#explorer-overview-image");
    var overviewController = null;
    var overviewAsked = "";
    function shapeOf(q) {
      var params = new URLSearchParams(q);
      params.delete("t"); params.delete("u"); params.delete("v");
      return params.toString();
    }
    function askOverview() {
      var q = query();
      var shape = shapeOf(q);
      if (!overview || shape === overviewAsked) return;
      overviewAsked = shape;
      if (overviewController) overviewController.abort();
      overviewController = new AbortController();
      fetch(frameUrl + "?" + q + "&overview=1", {
        headers: { "Accept": "application/json", "Prefer": "wait=" + WAIT_S },
        credentials: "same-origin",
        signal: overviewController.signal
      }).then(function (response) {
        return response.json().then(function (body) { return { code: response.status, body: body }; });
      }).then(function (answer) {
        if (answer.code === 200) {
          overview.src = answer.body.image;
          overview.hidden = false;
          overview.alt = "Overview of the latent explorer, with each frame's nearest training image";
        } else if (answer.code === 202) {
          overviewAsked = "";
          setTimeout(askOverview, 0);
        } else {
          overviewAsked = "";
        }
      }).catch(function () {});
    }

    function schedule(delay) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(ask, delay === undefined ? DEBOUNCE_MS : delay);
    }

    form.addEventListener("input", function (event) {
      var target = event.target;
      if (target.type === "range") {
        var output = root.querySelector("#" + target.id + "-value");
        if (output) output.textContent = target.value;
        schedule();
      }
    });
    form.addEventListener("change", function (event) {
      if (event.target.name === "mode") root.dataset.mode = mode();
      schedule();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      schedule(0);
    });
    overviewAsked = overview && overview.getAttribute("src") ? shapeOf(query()) : "";
    if (!image.getAttribute("src")) schedule(0);  // the page did not get its frame in time: ask for it now
    else if (overview && !overview.getAttribute("src")) askOverview();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-explorer]").forEach(setUp);
  });
})();

// Wrapped story: one slide at a time. Arrow keys, space, Page Up/Down, Home and End
// move through the slides; a tap on the left third goes back and anywhere else on
// the slide goes on. The share button offers the card through the Web Share API when
// the browser can share files, and downloads it otherwise. #slide-<name> opens a slide.
(function () {
  "use strict";

  var story = document.querySelector("[data-story]");
  if (!story) return;
  document.documentElement.classList.replace("no-js", "js");

  var slides = Array.prototype.slice.call(story.querySelectorAll("[data-slide]"));
  var segments = story.querySelectorAll("[data-segment]");
  var prev = story.querySelector("[data-prev]");
  var next = story.querySelector("[data-next]");
  var count = story.querySelector("[data-count]");
  var current = -1;

  function show(index, focus) {
    index = Math.max(0, Math.min(slides.length - 1, index));
    if (index === current) return;
    current = index;
    slides.forEach(function (slide, n) { slide.hidden = n !== index; });
    Array.prototype.forEach.call(segments, function (segment, n) {
      segment.classList.toggle("progress__segment--done", n <= index);
    });
    prev.disabled = index === 0;
    next.disabled = index === slides.length - 1;
    count.textContent = index + 1 + " / " + slides.length;
    if (history.replaceState) history.replaceState(null, "", "#" + slides[index].id);
    if (focus) slides[index].focus({ preventScroll: true });
    if (slides[index].dataset.slide === "share") fetchCard();
  }

  function step(by) { show(current + by, true); }

  var interactive = "a, button, input, select, textarea, summary, [contenteditable]";

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var onControl = event.target.closest && event.target.closest(interactive);
    switch (event.key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": step(1); break;
      case "ArrowLeft": case "ArrowUp": case "PageUp": step(-1); break;
      case "Home": show(0, true); break;
      case "End": show(slides.length - 1, true); break;
      case " ":
        if (onControl) return;  // space presses the focused button or link
        step(event.shiftKey ? -1 : 1);
        break;
      default: return;
    }
    event.preventDefault();
  });

  story.addEventListener("click", function (event) {
    if (event.target.closest(interactive)) return;
    if (window.getSelection && String(window.getSelection())) return;
    var box = story.getBoundingClientRect();
    step(event.clientX - box.left < box.width / 3 ? -1 : 1);
  });
  prev.addEventListener("click", function () { step(-1); });
  next.addEventListener("click", function () { step(1); });

  // Sharing

  var share = story.querySelector("[data-share]");
  var download = story.querySelector("[data-download]");
  var status = story.querySelector("[data-status]");
  var card = null;

  function fetchCard() {
    if (!card && window.fetch && window.File) {
      card = fetch(share.dataset.card, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("card: HTTP " + response.status);
          return response.blob();
        })
        .then(function (blob) {
          return new File([blob], share.dataset.filename, { type: "image/png" });
        });
      card.catch(function () { card = null; });
    }
    return card;
  }

  function offerDownload() {
    download.click();
    status.textContent = "Your card is downloading.";
  }

  share.addEventListener("click", function () {
    var pending = navigator.canShare ? fetchCard() : null;
    if (!pending) { offerDownload(); return; }
    pending.then(function (file) {
      var data = { files: [file], title: share.dataset.title };
      if (!navigator.canShare(data)) { offerDownload(); return; }
      return navigator.share(data).then(function () { status.textContent = "Shared."; });
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;  // the reader closed the share sheet
      offerDownload();
    });
  });

  function fromHash() {
    return slides.findIndex(function (slide) { return "#" + slide.id === location.hash; });
  }
  window.addEventListener("hashchange", function () {
    if (fromHash() >= 0) show(fromHash(), true);
  });
  show(Math.max(0, fromHash()), false);
})();

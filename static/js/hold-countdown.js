/* GuitarOnline — live countdown of a slot hold (progressive enhancement).
 *
 * The booking page already says, server-rendered, when the hold expires
 * ("expires at 18:40 (in 10 minutes)") and works without JavaScript. This
 * adds a ticking m:ss clock; when the hold runs out it hides the expiry line
 * and the buttons, disables Confirm and shows the page's own "hold has
 * expired" note with a link back to the teacher's slots. The time left
 * comes from the server (data-seconds-left), so a wrong clock on the
 * visitor's computer does not matter. No inline script or style (CSP).
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-hold-countdown]");
  if (!box) {
    return;
  }
  var secondsLeft = parseInt(box.getAttribute("data-seconds-left"), 10);
  var clock = box.querySelector("[data-clock]");
  var clockRow = box.querySelector("[data-clock-row]");
  var expiredNote = box.querySelector("[data-expired-note]");
  var confirmButton = box.querySelector("[data-confirm]");
  if (isNaN(secondsLeft) || !clock || !clockRow) {
    return;
  }
  var deadline = Date.now() + secondsLeft * 1000;
  var timer = null;

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function expire() {
    clockRow.hidden = true;
    Array.prototype.forEach.call(box.querySelectorAll("[data-hold-live]"), function (element) {
      element.hidden = true;
    });
    if (expiredNote) {
      expiredNote.hidden = false;
    }
    if (confirmButton) {
      confirmButton.disabled = true;
    }
  }

  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    clock.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    if (left === 0) {
      window.clearInterval(timer);
      expire();
    }
  }

  clockRow.hidden = false;
  tick();
  timer = window.setInterval(tick, 1000);
})();

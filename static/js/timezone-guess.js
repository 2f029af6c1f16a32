/* GuitarOnline — preselect the visitor's own time zone (progressive enhancement).
 *
 * A sign-up form's time zone starts at the school's default. When the
 * browser knows its zone (Intl) and the list offers it, that zone is chosen
 * instead, so a visitor in New York does not start on Moscow time. The
 * visitor can still pick another. No inline script (CSP).
 */
(function () {
  "use strict";

  var select = document.querySelector("select[data-guess-timezone]");
  if (!select || !window.Intl || !Intl.DateTimeFormat) {
    return;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) {
    return;
  }
  for (var i = 0; i < select.options.length; i += 1) {
    if (select.options[i].value === zone) {
      select.value = zone;
      return;
    }
  }
})();

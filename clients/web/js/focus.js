// Where the keyboard focus goes after a step that removes, hides or disables the control
// that had it (joining, sending an offer, accepting, submitting, a new phase): to the text
// that says what happened, never to <body> (a screen reader would start over from the top
// and a keyboard user from the first link).

/** True when focus sits nowhere useful: on <body>, or on a control no longer shown or usable. */
export function focusLost() {
  const a = document.activeElement;
  return !a || a === document.body || a === document.documentElement || !a.isConnected
    || !a.getClientRects().length || a.disabled === true;
}

/** Focus `el` (made focusable by script only if it is not already), scrolled into view. */
export function moveFocus(el) {
  if (!el || !el.isConnected) return;
  if (el.tabIndex < 0 && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus();
}

/** Move focus to `el` only when the focus was lost. */
export function rescueFocus(el) {
  if (focusLost()) moveFocus(el);
}

// Building the page without ever parsing text as HTML: every string goes in through
// textContent or a text node, so names, chat lines and anything else the server sends
// (which may come from other players) are shown as text, never run as markup.

/**
 * h("button", {class: "primary", on: {click: fn}, "aria-label": "..."}, "text", child, ...)
 * attrs: class, text, on (events), dataset, hidden, disabled, checked, value, and any
 * other attribute (set with setAttribute, so never an event-handler string from data:
 * names starting with "on" are refused).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = Array.isArray(v) ? v.filter(Boolean).join(" ") : v;
    else if (k === "text") el.textContent = String(v);
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else if (k === "checked" || k === "disabled" || k === "hidden" || k === "selected" || k === "open") el[k] = !!v;
    else if (/^on/i.test(k)) throw new Error(`refusing attribute ${k}`);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Sets a live region's text only when it changes: the same words written again are read
 * again by a screen reader (Orca read "Agreed" twice). */
export function say(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/** A link shown as text that wraps only between its parts (after "://", before "/", "?",
 * "&"): on a projector or a phone a long LAN address wraps as "http://" "192.168.1.23:8000"
 * "/join", never inside the address or the join code someone types from it. Each part is
 * an inline block (css: .url-part), cut only when it is wider than a whole line. */
export function urlText(url) {
  const text = String(url);
  const parts = text.match(/^[a-z][a-z0-9+.-]*:\/\/|[/?&]?[^/?&]+|[/?&]/gi) || [text];
  return parts.map((part) => h("span", { class: "url-part", text: part }));
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

let uid = 0;
export const newId = (prefix = "el") => `${prefix}-${++uid}`;

/** A <label> + control pair; returns {row, input}. */
export function field(labelText, input, hint) {
  if (!input.id) input.id = newId("f");
  const row = h("div", { class: "field" }, h("label", { for: input.id, text: labelText }), input);
  if (hint) {
    const hid = newId("hint");
    row.append(h("p", { class: "hint", id: hid, text: hint }));
    input.setAttribute("aria-describedby", hid);
  }
  return { row, input };
}

/**
 * Announce a short message to screen readers and show it as a toast. Toasts sit at the
 * bottom of wide screens and at the top of phones (where the thumb and the form's Submit
 * button are at the bottom); wherever they sit, they move to the other edge rather than
 * cover the focused control or a Submit button. A toast with a `topic` replaces the one
 * still showing on that topic: the partner's offer, then "accepted", never both stacked
 * over the round's form as news that no longer holds. A `minor` toast gives way instead to
 * one of its topic that is not minor ("submitted" arriving after "Round N results are in").
 */
export function toast(text, kind = "info", ms = 4000, { spoken = true, topic = null, minor = false } = {}) {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
    const again = () => keepClear(box);
    document.addEventListener("focusin", again);
    window.addEventListener("scroll", again, { passive: true });
    window.addEventListener("resize", again);
  }
  // spoken: false when a status line beside the control already says it (read once, not twice)
  const same = topic ? [...box.querySelectorAll(".toast")].filter((old) => old.dataset.topic === topic) : [];
  if (minor && same.some((old) => !old.dataset.minor)) return null;
  const item = h("div", { class: ["toast", kind], "aria-hidden": spoken ? null : "true", "data-topic": topic,
    "data-minor": minor ? "true" : null }, text);
  for (const old of same) old.remove();
  box.append(item);
  keepClear(box);
  setTimeout(() => item.remove(), ms);
  return item;
}

function keepClear(box) {
  if (!box.isConnected || !box.childElementCount) return;
  const guarded = [document.activeElement, ...document.querySelectorAll("button[type=submit]")]
    .filter((e) => e && e !== document.body && e.getClientRects().length).map((e) => e.getBoundingClientRect());
  const inTheWay = () => {
    const r = box.getBoundingClientRect();
    return guarded.some((g) => r.left < g.right && g.left < r.right && r.top < g.bottom && g.top < r.bottom);
  };
  box.classList.remove("flip");
  if (inTheWay()) {
    box.classList.add("flip");
    if (inTheWay()) box.classList.remove("flip");  // in the way at both edges: stay where toasts are expected
  }
}

/** A modal confirm using <dialog>; resolves true/false. Texts come from i18n. */
export function confirmDialog({ title, body, ok, cancel, danger = false }) {
  return choiceDialog({ title, body, cancel, choices: [{ value: "ok", text: ok, cls: danger ? "danger" : "primary", testid: "confirm-ok" }] })
    .then((v) => v === "ok");
}

/** A modal that says what will happen and offers one or more ways on (`choices`: value,
 *  text, cls, testid); resolves to the chosen value, or null when cancelled. */
export function choiceDialog({ title, body, cancel, choices }) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "confirm", "aria-labelledby": "dlg-title" },
      h("h2", { id: "dlg-title", text: title }),
      ...(Array.isArray(body) ? body : [body]).filter(Boolean).map((p) => (typeof p === "string" ? h("p", { text: p }) : p)),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", value: "cancel", text: cancel, "data-testid": "confirm-cancel",
                      on: { click: () => dlg.close("cancel") } }),
        choices.map((c) => h("button", { type: "button", class: c.cls || "primary", value: c.value, text: c.text,
                                          "data-testid": c.testid || `choice-${c.value}`, on: { click: () => dlg.close(c.value) } }))));
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(dlg.returnValue && dlg.returnValue !== "cancel" ? dlg.returnValue : null);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// Pieces every page uses: the connection indicator, the phase clock, stored tokens, the
// names of domains and firms.
import { h, replace, say } from "./dom.js";
import { t, duration, lang, LANGUAGES, chooseLanguage } from "./i18n.js";

export { store } from "./store.js";

// ---- connection indicator -------------------------------------------------------------------

const CONN_ICON = { connecting: "…", open: "●", reconnecting: "↻", ended: "■", denied: "✕", idle: "○" };

export function connectionIndicator(socket) {
  const icon = h("span", { class: "conn-icon", "aria-hidden": "true" });
  const label = h("span", { class: "conn-label" });
  const el = h("div", { class: "conn", role: "status", "aria-live": "polite", "data-testid": "connection" }, icon, label);
  const show = (s) => {
    el.dataset.state = s;
    icon.textContent = CONN_ICON[s] || "○";
    say(label, t(`conn.${s}`));
  };
  show(socket.state);
  socket.addEventListener("state", (e) => show(e.detail));
  window.addEventListener("offline", () => { if (socket.state !== "ended") { el.dataset.state = "reconnecting"; label.textContent = t("conn.offline"); icon.textContent = "↻"; } });
  // back online: the socket's own state again. A short drop often leaves the socket open (no
  // state change follows), and the pill said "Offline" for the rest of the class.
  window.addEventListener("online", () => show(socket.state));
  return el;
}

// ---- the phase clock ---------------------------------------------------------------------------

/** A clock that counts down locally between pushes. update({phase, round, rounds, clock}). */
export class PhaseClock {
  constructor(socket, { big = false } = {}) {
    this.socket = socket;
    this.data = null;
    this.phaseEl = h("span", { class: "clock-phase" });
    this.timeEl = h("span", { class: "clock-time", "data-testid": "clock-time" });
    this.stateEl = h("span", { class: "clock-state" });
    this.el = h("div", { class: ["clock", big && "big"], role: "timer", "aria-live": "off", "data-testid": "clock" },
      this.phaseEl, this.timeEl, this.stateEl);
    this.tick = setInterval(() => this.render(), 250);
  }

  update(d) {
    this.data = d;
    this.render();
  }

  remaining() {
    const c = this.data && this.data.clock;
    if (!c) return null;
    if (c.running && c.deadline) return Math.max(0, c.deadline - this.socket.serverNow());
    return c.remaining ?? null;
  }

  render() {
    const d = this.data;
    if (!d) return;
    const c = d.clock || {};
    this.phaseEl.textContent = phaseLabel(d.phase, d.round, d.rounds);
    const left = this.remaining();
    this.el.dataset.running = c.running ? "yes" : "no";
    if (left === null) {
      this.timeEl.textContent = "";
      this.stateEl.textContent = d.phase === "lobby" ? t("clock.waiting") : "";
      this.el.classList.remove("urgent");
      return;
    }
    this.timeEl.textContent = duration(left);
    const urgent = c.running && left <= 30;
    this.el.classList.toggle("urgent", urgent);
    this.stateEl.textContent = !c.running ? t("clock.paused") : urgent ? t("clock.hurry") : t("clock.left");
  }
}

export function phaseLabel(phase, round, rounds) {
  if (phase === "execution") return t("phase.execution_round", { round: round ?? "?", rounds: rounds ?? "?" });
  return t(`phase.${phase}`);
}

// ---- names ------------------------------------------------------------------------------------

export function domainNames(view) {
  const out = {};
  for (const d of view.domains || []) out[d.id] = d.name;
  return out;
}

// ---- the language switcher (every page's top bar) --------------------------------------------

/** A compact <select> of the shipped languages, each in its own name; a choice is remembered
 *  and the page reloads in it (the stored seat or console link brings the participant back). */
export function languageSwitcher() {
  const sel = h("select", { class: "lang-switch", "aria-label": t("lang.choose"), "data-testid": "lang-switch",
                            on: { change: () => chooseLanguage(sel.value) } },
    Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, lang: code, selected: code === lang, text: name })));
  if (!(lang in LANGUAGES)) sel.prepend(h("option", { value: lang, selected: true, text: lang }));  // a pseudo-locale
  return h("div", { class: "lang" }, globe(), sel);
}

// A globe drawn, not the 🌐 character: a phone or a Linux without an emoji font shows that as an empty box.
function globe() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 16 16", class: "lang-icon", "aria-hidden": "true", focusable: "false" })) svg.setAttribute(k, v);
  for (const [tag, attrs] of [["circle", { cx: 8, cy: 8, r: 6.5 }], ["ellipse", { cx: 8, cy: 8, rx: 2.8, ry: 6.5 }],
                              ["path", { d: "M1.5 8h13M2.6 4.6h10.8M2.6 11.4h10.8" }]]) {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.append(el);
  }
  return svg;
}

/** An alliance's end as words: the engine's reason codes ("exit by west1", "trust"...). */
export function endedReasonText(reason, firmName = (f) => f) {
  if (!reason) return "";
  const m = /^exit by (.+)$/.exec(reason);
  if (m) return t("alliance.reason_exit_by", { firm: firmName(m[1]) });
  const key = `alliance.reason_${reason.replace(/\W+/g, "_")}`;
  return t(key);
}

/** "Trust fell: the partner withheld a tranche" style reasons. */
export function reasonText(code) {
  return t(`reason.${code}`);
}

/** A banner for facilitator announcements. */
export function announcementBanner(a) {
  const el = h("div", { class: "announcement", role: "alert" },
    h("span", { class: "icon", "aria-hidden": "true", text: "⚑" }),
    h("strong", { text: t("announce.title") }), " ",
    h("span", { class: "announcement-text", text: a.text || (a.event ? JSON.stringify(a.event) : "") }));
  el.append(h("button", { type: "button", class: "dismiss", "aria-label": t("announce.dismiss"), text: "✕",
                          on: { click: () => { dismissed.add(a.time); el.remove(); } } }));
  return el;
}

const dismissed = new Set();
export const isDismissed = (a) => dismissed.has(a.time);

export function setMain(el, ...children) {
  return replace(el, ...children);
}

/** Keep sticky bars under the top bar whatever its height (it wraps on phones). */
export function trackStickyOffsets() {
  const root = document.documentElement;
  const top = document.getElementById("topbar");
  // Every height is read before any is written: a write between two reads would lay the whole
  // page out again for the next read (three layouts instead of one: ~0.3 s on a slow phone).
  const update = () => {
    const tabs = document.querySelector(".tabs");
    const budget = document.querySelector(".budget");  // the round's sticky budget (scroll-padding in app.css)
    const heights = [["--topbar-h", top ? top.offsetHeight : 0], ["--tabs-h", tabs ? tabs.offsetHeight : 0],
                     ["--budget-h", budget ? budget.offsetHeight : null]];
    for (const [name, px] of heights) if (px !== null) root.style.setProperty(name, `${px}px`);
  };
  // The observer calls `update` once for every element it starts observing, after the
  // browser's own layout and before the paint: the heights are read then, never forced in
  // the middle of building the page (each forced read laid out the whole round form again).
  const ro = new ResizeObserver(update);
  if (top) ro.observe(top);
  return { observe: (el) => ro.observe(el) };
}

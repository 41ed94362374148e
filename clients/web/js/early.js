// The player page's first module: it opens the live connection as soon as its own few files
// have loaded, while the rest of the page (about twenty modules) still downloads. A phone on
// a slow network pays a round trip for every six files, so the welcome and the first view are
// usually waiting by the time the page can show them (docs/benchmarks.md, "Phones").
// The socket keeps its events until the page takes it (`claimSocket`) and listens.
import { LiveSocket, bootSocket } from "./socket.js";
import { locale, num, pct } from "./i18n.js";
import { store } from "./store.js";

export const normCode = (c) => (c || "").toUpperCase().replace(/[\s-]/g, "");

// a study link (online panel) carries the participant's panel id: it becomes the label, no name is asked
const PANEL_IDS = ["PROLIFIC_PID", "workerId", "participant", "label"];
export const panelId = (params) => { for (const k of PANEL_IDS) { const v = (params.get(k) || "").trim(); if (v) return v; } return null; };

// The language this page shows (BCP-47, e.g. "fr-CA": the participant's choice or the
// browser's), sent at the join for the research export; anything that does not look like a
// language tag is left out rather than refused.
export const browserLanguage = () => {
  const tag = (locale || "").trim();
  return /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,6}$/.test(tag) && tag.length <= 35 ? tag : null;
};

/** Whether the page goes straight back into the seat `creds` holds (else it shows the join form). */
export function resumes(params, creds, rejoinLink) {
  const urlCode = normCode(params.get("code"));
  return Boolean(!rejoinLink && creds && creds.token && (!urlCode || urlCode === normCode(creds.code))
                 && (!panelId(params) || creds.panel));
}

let early = null;
{
  const creds = store.get("player");
  const rejoin = new URLSearchParams(location.hash.slice(1)).get("rejoin");
  if (resumes(new URLSearchParams(location.search), creds, rejoin)) {
    early = new LiveSocket(creds.token, { language: browserLanguage() });
    early.hold();
    early.connect();  // takes over the socket js/boot.js opened, if any
  } else {
    bootSocket(null);  // closes a socket js/boot.js opened for a seat this page does not resume
  }
}
if (early && !early.fromBoot) {
  // The browser sends a new socket's handshake only once this task ends (and a check the
  // browser makes first has answered): the page's other modules (imported after this one)
  // evaluate and draw the shell in a later task, while the handshake, the welcome and the view
  // are on their way. Not needed when js/boot.js opened the socket already.
  await new Promise((resolve) => setTimeout(resolve, 30));
}
if (early) {
  // the first Intl.NumberFormat of a page loads the locale's data (about 0.25 s at 4x CPU
  // slowdown): done now, while the network is waited for, not when the view is drawn
  num(0);
  pct(0);
}

/** The socket opened early for `token`, or null (an early socket for another token is closed). */
export function claimSocket(token) {
  const s = early;
  early = null;
  if (s && s.token === token) return s;
  if (s) s.close();
  return null;
}

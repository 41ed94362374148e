// The facilitator's sessions in this browser: every session created or opened here is
// remembered (its token stays in this browser only), listed on the console's home with
// what it is now (live, ended, archived) and a way back in: the console while it is live,
// the debrief always. And the console's link for another device, with its QR code.
import { h, replace, choiceDialog, toast, urlText } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { api } from "./socket.js";
import { store } from "./common.js";

const KEY = "sessions";
const KEEP = 30;

export function rememberedSessions() {
  const list = store.get(KEY);
  return Array.isArray(list) ? list.filter((s) => s && s.token) : [];
}

/** The console's current session; also kept (first) in the list of this browser's sessions. */
export function remember(creds) {
  store.set("facilitator", creds);
  const list = rememberedSessions();
  const old = list.find((s) => s.token === creds.token) || {};
  store.set(KEY, [{ ...old, ...creds, seen: Date.now() }, ...list.filter((s) => s.token !== creds.token)].slice(0, KEEP));
}

function forget(token) {
  store.set(KEY, rememberedSessions().filter((s) => s.token !== token));
  const cur = store.get("facilitator");
  if (cur && cur.token === token) store.remove("facilitator");
}

/** A card listing this browser's sessions; `open(creds)` opens the console on one. */
export function sessionsCard(open) {
  const list = rememberedSessions();
  const body = h("ul", { class: "sel-list", "data-testid": "my-sessions" });
  const card = h("section", { class: "card", "aria-labelledby": "my-sessions-h" },
    h("h2", { id: "my-sessions-h", text: t("sessions.title") }), h("p", { class: "hint", text: t("sessions.hint") }), body);
  if (!list.length) return null;
  for (const s of list) body.append(sessionRow(s, open));
  return card;
}

function sessionRow(s, open) {
  const state = h("span", { class: "muted", text: t("common.loading") });
  const actions = h("span", { class: "actions" });
  const row = h("li", { "data-testid": `my-session-${s.session_id || "unknown"}` },
    h("span", {}, h("strong", { text: s.title || s.code || t("sessions.untitled") }), " ", h("span", { class: "muted", text: s.code || "" }), " · ", state),
    actions);
  const debrief = h("button", { type: "button", class: "secondary small", "data-testid": "my-session-debrief", text: t("console.open_debrief"),
    on: { click: () => { store.set("facilitator", s); window.open("/debrief", "_blank", "noopener"); } } });
  const drop = h("button", { type: "button", class: "link", "data-testid": "my-session-forget", text: t("sessions.forget"),
    on: { click: () => { forget(s.token); row.remove(); } } });
  if (!s.session_id) { replace(state, t("sessions.unknown")); actions.append(drop); return row; }
  api("GET", `/api/sessions/${encodeURIComponent(s.session_id)}`, undefined, s.token).then((v) => {
    const status = v.session.status;
    state.textContent = status === "live" ? t("sessions.live", { phase: t(`phase.${v.phase}`) }) : t(`sessions.${status}`);
    row.dataset.status = status;
    if (status === "live") actions.append(h("button", { type: "button", class: "primary small", "data-testid": "my-session-open",
      text: t("sessions.open"), on: { click: () => open(s) } }));
    actions.append(debrief, drop);
  }).catch((e) => {
    state.textContent = errorText(e);
    row.dataset.status = "gone";
    actions.append(drop);
  });
  return row;
}

/** "Open on another device": the console link (token in the fragment) and its QR code. */
export async function anotherDevice(token) {
  let link;
  try {
    link = await api("GET", "/api/web/console_link", undefined, token);
  } catch (e) {
    toast(errorText(e), "error");
    return;
  }
  const img = URL.createObjectURL(new Blob([link.qr_svg], { type: "image/svg+xml" }));
  const copy = async () => {
    try { await navigator.clipboard.writeText(link.url); toast(t("console.copied"), "ok"); } catch { toast(t("sessions.copy_failed")); }
  };
  const chosen = await choiceDialog({
    title: t("sessions.device_title"),
    body: [t("sessions.device_body"), h("img", { class: "qr", src: img, alt: t("sessions.device_qr_alt"), width: 220, height: 220, "data-testid": "device-qr" }),
      h("p", { class: "join-url", "data-testid": "device-link" }, urlText(link.url)),
      h("p", { class: "warning", role: "note", text: t("sessions.device_warning") })],
    cancel: t("sessions.close"),
    choices: [{ value: "copy", text: t("sessions.copy"), cls: "secondary", testid: "device-copy" }],
  });
  if (chosen === "copy") await copy();
  URL.revokeObjectURL(img);
}

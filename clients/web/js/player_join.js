// The player's page before the game: the join form, a study link's consent and instructions,
// the completion code at the end, a seat taken on another device (js/seatmove.js). The game
// itself is js/player.js, which binds how a seat is entered (`bindGame`).
import { normCode, panelId, browserLanguage } from "./early.js";
import { h, $, clear, replace, toast } from "./dom.js";
import { t, errorText, adoptSessionLanguage } from "./i18n.js";
import { api } from "./socket.js";
import { store, languageSwitcher } from "./common.js";
import { nameTaken } from "./seatmove.js";

const main = $("#main");
const topbar = $("#topbar");

// what the game gives these screens: how to start it with a seat's credentials, and whether it is shown
let game = { start: () => {}, playing: () => false };
export function bindGame(g) { game = g; }

// ---- join ------------------------------------------------------------------------------------


function brand() {
  clear(topbar);
  topbar.classList.remove("game-bar");
  topbar.append(h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true", text: "⇄" }), h("span", { text: t("app.name") })), languageSwitcher());
}

// ---- study links: consent and instructions first, the completion code at the end ----------------

function showStudyJoin(params, message) {
  brand();
  const err = h("p", { class: "form-error", role: "alert", "data-testid": "join-error", text: message || "" });
  const btn = h("button", { type: "submit", class: "primary big", text: t("join.study_start"), "data-testid": "join-submit" });
  const form = h("form", { class: "card join", "aria-labelledby": "join-title", on: { submit: async (e) => {
    e.preventDefault();
    btn.disabled = true;
    err.textContent = "";
    try {
      const code = params.get("code") || "";
      const r = await api("POST", "/api/join", { code, label: panelId(params) });
      const creds = { token: r.player_token, code: normCode(code), session_id: r.session_id, player_id: r.player_id,
                      name: null, firm: r.firm, panel: true };
      if (r.consent_required) showConsent(r, creds);
      else seated(creds, r);
    } catch (e2) { err.textContent = errorText(e2); btn.disabled = false; }
  } } },
    h("h1", { id: "join-title", text: t("join.study_title") }),
    h("p", { class: "lead", text: t("join.study_lead") }), err, h("div", { class: "actions" }, btn));
  replace(main, h("div", { class: "narrow" }, form));
  btn.focus();
}

function showConsent(r, creds) {
  const err = h("p", { class: "form-error", role: "alert", text: "" });
  const answer = async (agree) => {
    err.textContent = "";
    try {
      const c = await api("POST", "/api/consent", { consent: agree }, creds.token);
      if (!agree) { showCompletion(c.completion || { status: "declined" }); return; }
      seated({ ...creds, session_id: c.session_id, player_id: c.player_id, firm: c.firm }, c);
    } catch (e) { err.textContent = errorText(e); }
  };
  replace(main, h("div", { class: "narrow" }, h("section", { class: "card consent", "aria-labelledby": "consent-title", "data-testid": "consent" },
    h("h1", { id: "consent-title", text: t("consent.title") }),
    r.instructions ? h("div", {}, h("h2", { text: t("consent.instructions") }), h("p", { class: "pre", "data-testid": "instructions", text: r.instructions })) : null,
    h("p", { class: "pre", "data-testid": "consent-text", text: r.consent_text }), err,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary big", text: t("consent.agree"), "data-testid": "consent-agree", on: { click: () => answer(true) } }),
      h("button", { type: "button", class: "link", text: t("consent.decline"), "data-testid": "consent-decline", on: { click: () => answer(false) } })))));
}

function seated(creds, r) {
  store.set("player", creds);
  history.replaceState(null, "", `/join?code=${encodeURIComponent(creds.code)}`);  // the panel id leaves the address bar
  if (adoptSessionLanguage(r.language)) { location.reload(); return; }  // the session's language, unless one was chosen
  game.start(creds);
  toast(t("consent.waiting"));
}

export function showCompletion(c) {
  const card = h("section", { class: "card completion", role: "status", "data-testid": "completion" },
    h("h2", { text: t("completion.title") }),
    h("p", { text: t(`completion.${c.status}`) }),
    c.code ? h("p", {}, t("completion.lead"), " ", h("strong", { class: "code", "data-testid": "completion-code", text: c.code })) : null,
    c.redirect_url ? h("p", {}, h("a", { class: "button primary", href: c.redirect_url, rel: "noreferrer", "data-testid": "completion-link", text: t("completion.go") })) : null);
  const old = document.querySelector(".completion");
  // beside the game, not in the banners (every view redraws those)
  if (old) old.replaceWith(card); else if (game.playing()) main.before(card); else replace(main, h("div", { class: "narrow" }, card));
}

/** A join's answer with a seat (a new one, or this name's seat moved to this device). */
function enter(r, body) {
  const creds = { token: r.player_token, code: normCode(body.code), session_id: r.session_id, player_id: r.player_id,
                  name: body.name, firm: r.firm, rejoin_code: r.rejoin_code };
  if (r.consent_required) { showConsent(r, creds); return; }  // consent (and instructions) come first
  store.set("player", creds);
  history.replaceState(null, "", `/join?code=${encodeURIComponent(body.code.toUpperCase())}`);
  if (adoptSessionLanguage(r.language)) { location.reload(); return; }  // the session's language, unless one was chosen
  game.start(creds);
}

export function showJoin(message, typed = {}, scanned = null) {
  brand();
  const params = new URLSearchParams(location.search);
  if (panelId(params)) { showStudyJoin(params, message); return; }
  const code = h("input", { id: "join-code", name: "code", required: true, autocomplete: "off", autocapitalize: "characters",
                            spellcheck: "false", maxlength: 16, minlength: 4, value: typed.code || params.get("code") || "", "data-testid": "join-code",
                            "aria-describedby": "join-code-hint" });
  const name = h("input", { id: "join-name", name: "name", required: true, maxlength: 80, autocomplete: "nickname", "data-testid": "join-name",
                            "aria-describedby": "join-name-hint" });
  const label = h("input", { id: "join-label", name: "label", maxlength: 80, autocomplete: "off" });
  const rejoin = h("input", { id: "join-rejoin", name: "rejoin_code", maxlength: 16, autocomplete: "off", autocapitalize: "characters",
                              spellcheck: "false", "data-testid": "join-rejoin", "aria-describedby": "join-rejoin-hint" });
  const err = h("p", { class: "form-error", role: "alert", "data-testid": "join-error", text: message || "" });
  const btn = h("button", { type: "submit", class: "primary big", text: t("join.submit"), "data-testid": "join-submit" });
  const form = h("form", { class: "card join", "aria-labelledby": "join-title", on: { submit: async (e) => {
    e.preventDefault();
    err.textContent = "";
    if (normCode(code.value).length < 4) { err.textContent = t("join.err_code"); code.focus(); return; }
    if (!name.value.trim()) { err.textContent = t("join.err_name"); name.focus(); return; }
    btn.disabled = true;
    const body = { code: code.value.trim(), name: name.value.trim() };
    if (label.value.trim()) body.label = label.value.trim();
    if (rejoin.value.trim()) body.rejoin_code = rejoin.value.trim();
    const lang = browserLanguage();
    if (lang) body.language = lang;
    try {
      enter(await api("POST", "/api/join", body), body);
    } catch (e2) {
      // the name is seated: another name, or this is the seat's own person on a new device
      if (e2.code === "name_taken" && !body.rejoin_code) {
        nameTaken(main, body, { seated: enter, another: (msg) => showJoin(msg, { code: body.code }) });
        return;
      }
      err.textContent = errorText(e2);
      btn.disabled = false;
    }
  } } },
    h("h1", { id: "join-title", text: t("join.title") }),
    h("p", { class: "lead", text: t("join.lead") }),
    h("div", { class: "field" }, h("label", { for: "join-code", text: t("join.code") }), code,
      h("p", { class: "hint", id: "join-code-hint", text: t("join.code_hint") })),
    h("div", { class: "field" }, h("label", { for: "join-name", text: t("join.name") }), name,
      h("p", { class: "hint", id: "join-name-hint", text: t("join.name_hint") })),
    h("details", { class: "field" }, h("summary", { text: t("join.label_more") }),
      h("div", { class: "field" }, h("label", { for: "join-label", text: t("join.label") }), label),
      h("div", { class: "field" }, h("label", { for: "join-rejoin", text: t("join.rejoin") }), rejoin,
        h("p", { class: "hint", id: "join-rejoin-hint", text: t("join.rejoin_hint") }))),
    err, h("div", { class: "actions" }, btn));
  const prev = store.get("player");
  const resume = prev ? h("p", { class: "resume" }, h("button", { type: "button", class: "link", text: t("join.resume", { name: prev.name, code: prev.code }),
    on: { click: () => { history.replaceState(null, "", `/join?code=${encodeURIComponent(prev.code)}`); game.start(prev); } } })) : null;
  replace(main, h("div", { class: "narrow" }, form, resume));
  (code.value ? name : code).focus();
  if (scanned && code.value) {  // the rejoin QR code of the first device: the seat moves here at once
    name.value = scanned.name;
    label.value = scanned.label;
    rejoin.value = scanned.rejoin;
    form.requestSubmit();
  }
}

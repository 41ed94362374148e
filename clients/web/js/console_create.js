// The console before a session: the admin key, the new-session form, a session from a study
// file, the sessions this browser ran; and what the live console shares with it (the brand,
// the research export). `start(creds)` opens the live console (clients/web/js/console.js).
import { h, $, replace, toast } from "./dom.js";
import { rolesOption } from "./rolepicker.js";
import { t, errorText, LANGUAGES, lang } from "./i18n.js";
import { api } from "./socket.js";
import { store, languageSwitcher } from "./common.js";
import { proseNodes } from "./prose.js";
import { remember, sessionsCard } from "./sessions.js";

const main = $("#main");
const topbar = $("#topbar");

export function brand() {
  return h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true", text: "⇄" }), h("span", { text: t("console.title") }));
}

// ---- the admin key ---------------------------------------------------------------------------
// Creating a session needs the server's admin key (docs/operations.md). The console asks for it
// once and, when the server has accepted it, keeps it in this browser; a refused key (401) is
// forgotten and asked for again.

const ADMIN_KEY = "admin_key";

function adminKeyBox(err) {
  const input = h("input", { type: "password", id: "c-admin-key", name: "admin_key", autocomplete: "off",
                             spellcheck: "false", "data-testid": "create-admin-key" });
  const field = h("div", { class: "field" }, h("label", { for: "c-admin-key", text: t("create.admin_key") }), input,
    h("p", { class: "hint", text: t("create.admin_key_hint") }));
  const saved = h("p", { class: "muted", "data-testid": "admin-key-saved" }, t("create.admin_key_saved"), " ",
    h("button", { type: "button", class: "link", text: t("create.admin_key_change"), on: { click: () => ask() } }));
  const ask = (message) => {
    store.remove(ADMIN_KEY);
    input.value = "";
    field.hidden = false;
    saved.hidden = true;
    if (message) { err.textContent = message; input.focus(); }
  };
  field.hidden = !!store.get(ADMIN_KEY);
  saved.hidden = !field.hidden;
  return {
    el: h("div", {}, field, saved),
    key: () => store.get(ADMIN_KEY) || input.value.trim(),
    accepted: (key) => { store.set(ADMIN_KEY, key); },
    ask,
    focus: () => input.focus(),
  };
}

// ---- create a session ------------------------------------------------------------------------

// `archived`: the stored session was archived (idle too long); its credentials are kept so
// that /debrief still shows it, read-only
/** The research export (ZIP: CSVs, JSON Lines, SQLite, codebook), pseudonymized by default;
 *  live, ended or archived alike. */
export async function downloadExport(sessionId, token) {
  try {
    const res = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/export`, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw { code: "http_error", message: res.statusText };
    const blob = await res.blob();
    const a = h("a", { href: URL.createObjectURL(blob), download: `alliance-${sessionId}.zip` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    toast(t("console.exported"), "ok");
  } catch (e) {
    toast(errorText(e), "error");
  }
}

export async function showCreate(start, message, archived = false) {
  replace(topbar, brand(), languageSwitcher());
  const err = h("p", { class: "form-error", role: "alert", text: archived ? "" : message || "" });
  const box = h("div", { class: "narrow" }, h("p", { class: "muted", text: t("common.loading") }));
  replace(main, box);
  let scenarios = [];
  try {
    scenarios = (await api("GET", `/api/scenarios?lang=${encodeURIComponent(lang)}`)).scenarios;
  } catch (e) {
    replace(box, h("p", { class: "form-error", role: "alert", text: errorText(e) }));
    return;
  }
  const f = {};
  const num_ = (id, label, attrs, hint) => {
    f[id] = h("input", { type: "number", id: `c-${id}`, name: id, inputmode: "decimal", ...attrs });
    return h("div", { class: "field inline" }, h("label", { for: `c-${id}`, text: label }), f[id], hint ? h("p", { class: "hint", text: hint }) : null);
  };
  f.scenario = h("select", { id: "c-scenario", name: "scenario", "data-testid": "create-scenario" },
    scenarios.map((s) => h("option", { value: s.id, selected: s.id === "classic", text: s.title })));
  f.title = h("input", { id: "c-title", name: "title", maxlength: 200 });
  f.negotiation = h("input", { type: "checkbox", id: "c-negotiation" });
  f.practice = h("input", { type: "checkbox", id: "c-practice", "data-testid": "create-practice" });
  const firmRoles = rolesOption();
  f.brk = h("select", { id: "c-break", "data-testid": "create-break" },
    [["off", "create.break_off"], ["manual", "create.break_manual"], ["120", "create.break_2min"], ["300", "create.break_5min"]]
      .map(([value, key]) => h("option", { value, text: t(key) })));
  f.members = h("select", { id: "c-members" }, h("option", { value: "any", text: t("create.members_any") }),
    h("option", { value: "submitter", text: t("create.members_submitter") }));
  // the session's default language: what a participant sees until choosing one (docs/languages.md)
  f.language = h("select", { id: "c-language", "data-testid": "create-language" }, h("option", { value: "", text: t("create.language_own") }),
    Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, lang: code, text: name })));
  const caseText = h("div", { class: "prose", "data-testid": "create-case" });
  const roles = h("p", { class: "muted" });
  const weights = {};
  const weightRows = ["internal", "external", "cash", "freedom"].map((k) => {
    weights[k] = h("input", { type: "number", id: `c-w-${k}`, min: 0, max: 100, step: "any" });
    return h("div", { class: "field inline" }, h("label", { for: `c-w-${k}`, text: t(`create.weight_${k}`) }), weights[k]);
  });
  const onScenario = () => {
    const s = scenarios.find((x) => x.id === f.scenario.value);
    if (!s) return;
    f.rounds.value = s.rounds;
    f.negotiation.checked = s.phases.negotiation;
    f.members.value = s.phases.members_submit || "any";
    firmRoles.input.checked = !!s.phases.firm_roles;
    for (const k of Object.keys(weights)) weights[k].value = s.scoring[k];
    replace(caseText, ...proseNodes(s.case));
    roles.textContent = t("create.roles", { roles: s.roles.map((r) => r.name).join(" · ") });
  };
  f.scenario.addEventListener("change", onScenario);
  const btn = h("button", { type: "submit", class: "primary big", text: t("create.submit"), "data-testid": "create-submit" });
  const admin = adminKeyBox(err);
  const form = h("form", { class: "card", "aria-labelledby": "create-title", on: { submit: async (e) => {
    e.preventDefault();
    err.textContent = "";
    const key = admin.key();
    if (!key) {
      err.textContent = t("create.admin_key_missing");
      admin.focus();
      return;
    }
    const s = scenarios.find((x) => x.id === f.scenario.value);
    const body = { scenario: f.scenario.value, copies: Number(f.copies.value) || 1, rounds: Number(f.rounds.value) || undefined,
                   round_seconds: Math.round(Number(f.round_minutes.value) * 60) || undefined,
                   negotiation_seconds: Math.round(Number(f.neg_minutes.value) * 60) || undefined,
                   negotiation: f.negotiation.checked, members_submit: f.members.value, language: f.language.value || undefined };
    if (f.practice.checked) body.practice_round = true;
    body.firm_roles = firmRoles.input.checked;
    if (f.brk.value !== "off") body.results_break = f.brk.value === "manual" ? "manual" : Number(f.brk.value);
    if (f.title.value.trim()) body.title = f.title.value.trim();
    if (f.seed.value !== "") body.seed = Number(f.seed.value);
    const scoring = {};
    for (const [k, el] of Object.entries(weights)) if (el.value !== "" && Number(el.value) !== s.scoring[k]) scoring[k] = Number(el.value);
    if (Object.keys(scoring).length) body.scoring = scoring;
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    btn.disabled = true;
    try {
      const r = await api("POST", "/api/sessions", body, key);
      admin.accepted(key);
      const creds = { token: r.facilitator_token, session_id: r.session_id, code: r.code, join_url: r.join_url };
      remember(creds);
      start(creds);
    } catch (e2) {
      if (e2.status === 401 && e2.code === "admin_key_required") admin.ask(t("create.admin_key_refused"));
      else err.textContent = errorText(e2);
      btn.disabled = false;
    }
  } } },
    h("h1", { id: "create-title", text: t("create.title") }),
    h("div", { class: "field" }, h("label", { for: "c-scenario", text: t("create.scenario") }), f.scenario), roles,
    h("details", {}, h("summary", { text: t("create.case") }), caseText),
    h("div", { class: "field" }, h("label", { for: "c-title", text: t("create.session_title") }), f.title),
    h("div", { class: "grid2" },
      num_("copies", t("create.copies"), { min: 1, max: 500, step: 1, value: 1, "data-testid": "create-copies" }, t("create.copies_hint")),
      num_("rounds", t("create.rounds"), { min: 1, max: 50, step: 1, "data-testid": "create-rounds" }),
      num_("round_minutes", t("create.round_minutes"), { min: 0.5, max: 1440, step: "any", value: 5 }),
      num_("neg_minutes", t("create.neg_minutes"), { min: 0.5, max: 1440, step: "any", value: 10 })),
    h("label", { class: "check", for: "c-negotiation" }, f.negotiation, h("span", { text: t("create.negotiation") })),
    h("label", { class: "check", for: "c-practice" }, f.practice, h("span", { text: t("create.practice") })), firmRoles.el,
    h("div", { class: "field inline" }, h("label", { for: "c-break", text: t("create.break") }), f.brk),
    h("div", { class: "field inline" }, h("label", { for: "c-members", text: t("create.members") }), f.members),
    h("div", { class: "field inline" }, h("label", { for: "c-language", text: t("create.language") }), f.language),
    h("details", {}, h("summary", { text: t("create.advanced") }),
      h("fieldset", {}, h("legend", { text: t("create.weights") }), weightRows),
      num_("seed", t("create.seed"), { min: 0, step: 1 }, t("create.seed_hint"))),
    admin.el, err, h("div", { class: "actions" }, btn));
  const study = studyForm(admin, (creds) => { remember(creds); start(creds); });
  const prev = store.get("facilitator");
  const note = archived ? h("div", { class: "card", role: "status", "data-testid": "archived-note" }, h("p", { text: message }),
    h("div", { class: "actions" }, h("a", { href: "/debrief", "data-testid": "archived-debrief", text: t("console.archived_debrief") }),
      prev && prev.session_id ? h("button", { type: "button", class: "secondary", text: t("console.export"), "data-testid": "export",
        on: { click: () => downloadExport(prev.session_id, prev.token) } }) : null)) : null;
  replace(box, note, prev && !archived ? h("p", { class: "resume" }, h("button", { type: "button", class: "link", text: t("console.resume", { code: prev.code }),
    on: { click: () => start(prev) } })) : null, sessionsCard((creds) => { remember(creds); start(creds); }), form, study);
  onScenario();
  f.scenario.focus();
}

/** A session from a study file (study.toml, docs/research.md): every option is in the file. */
function studyForm(admin, started) {
  const file = h("input", { type: "file", id: "c-study", accept: ".toml,text/plain", "data-testid": "study-file",
                            "aria-describedby": "c-study-hint" });
  const err = h("p", { class: "form-error", role: "alert", "data-testid": "study-error" });
  const btn = h("button", { type: "submit", class: "secondary", text: t("create.study_submit"), "data-testid": "study-submit" });
  return h("form", { class: "card", "aria-labelledby": "study-title", on: { submit: async (e) => {
    e.preventDefault();
    err.textContent = "";
    const key = admin.key();
    if (!key) { err.textContent = t("create.admin_key_missing"); admin.focus(); return; }
    if (!file.files.length) { err.textContent = t("create.study_missing"); file.focus(); return; }
    btn.disabled = true;
    try {
      const r = await api("POST", "/api/sessions", { study_file: await file.files[0].text() }, key);
      admin.accepted(key);
      started({ token: r.facilitator_token, session_id: r.session_id, code: r.code, join_url: r.join_url,
                study_link: r.study_link || null });
    } catch (e2) {
      if (e2.status === 401 && e2.code === "admin_key_required") admin.ask(t("create.admin_key_refused"));
      else err.textContent = e2.message || errorText(e2);  // the file's field paths are in the message
      btn.disabled = false;
    }
  } } },
    h("h2", { id: "study-title", text: t("create.study_title") }),
    h("div", { class: "field" }, h("label", { for: "c-study", text: t("create.study_file") }), file,
      h("p", { class: "hint", id: "c-study-hint", text: t("create.study_hint") })),
    err, h("div", { class: "actions" }, btn));
}

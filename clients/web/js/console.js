// The facilitator console: create a session, show the join code and QR code, watch the
// lobby fill, move players, fill seats with bots, pair firms, run the clock, watch every
// firm, inject events, read all chat, export the data. Before a session: console_create.js.
import { h, $, clear, replace, toast, confirmDialog, choiceDialog, urlText } from "./dom.js";
import { t, applyI18n, errorText, clockTime } from "./i18n.js";
import { LiveSocket } from "./socket.js";
import { store, connectionIndicator, PhaseClock, languageSwitcher } from "./common.js";
import { chatLine } from "./chat.js";
import { remember, anotherDevice } from "./sessions.js";
import { scrollRegion } from "./scrollregion.js";
import { TeamFormation, seatRequests } from "./teamform.js";
import { applyPush } from "./viewfold.js";
import { brand, downloadExport, showCreate } from "./console_create.js";
import { renderControls } from "./console_controls.js";
import { moveMany, playerName, playerRow } from "./console_players.js";
import { renderNegs, renderResults } from "./console_boards.js";

applyI18n();
const main = $("#main");
const topbar = $("#topbar");
// What the phase is about comes right after the controls: a class of 30 firms must not
// scroll past every firm's card to the negotiations or to the firms holding up the round.
// (The sections move in the document, not by CSS order: the tab order follows what is seen.)
const FIRST_SECTION = { selection: "sec-negs", negotiation: "sec-negs", renegotiation: "sec-negs",
                        practice: "sec-monitor", execution: "sec-monitor" };
const MOVABLE = ["sec-teams", "sec-monitor", "sec-negs"];

// ---- the live console ----------------------------------------------------------------------

/** True when a join link names this computer only: no phone in the room can open it. */
function localOnly(url) {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return ["localhost", "127.0.0.1", "::1", "0.0.0.0", "::"].includes(host) || host.startsWith("127.");
  } catch { return false; }
}

class Console {
  constructor(creds) {
    this.creds = creds;
    this.view = null;
    this.chatLines = [];
    this.socket = new LiveSocket(creds.token);
    this.clock = new PhaseClock(this.socket);
    replace(topbar, brand(), this.clock.el, connectionIndicator(this.socket), languageSwitcher());
    this.build();
    this.socket.addEventListener("message", (e) => this.onMessage(e.detail));
    this.socket.addEventListener("denied", (e) => {
      this.destroy();
      if (e.detail.code === "session_archived" && this.creds.session_id) {
        showCreate(start, errorText(e.detail), true);
        return;
      }
      if (e.detail.code === "token_expired" && this.creds.session_id) {  // ended: its debrief stays open
        showCreate(start, t("console.ended_note"), true);
        return;
      }
      store.remove("facilitator");
      showCreate(start, t("console.expired"));
    });
    this.socket.addEventListener("state", (e) => {
      document.body.dataset.conn = e.detail;
      if (e.detail === "ended" && this.creds.session_id) {  // ended here or elsewhere: its debrief stays open
        this.destroy();
        showCreate(start, t("console.ended_note"), true);
      }
    });
    this.socket.connect();
    // drafts are not pushed to the facilitator: refresh the full view now and then while a round runs
    this.poll = setInterval(() => {
      if (this.view && this.view.phase === "execution" && document.visibilityState === "visible" && this.socket.state === "open") this.socket.resync();
    }, 8000);
  }

  destroy() {
    this.socket.close();
    clearInterval(this.poll);
    clearInterval(this.clock.tick);
  }

  build() {
    const sec = (id, title, ...kids) => h("section", { class: "card", id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h`, text: title }), ...kids);
    this.joinBox = h("div", { class: "join-box", "data-testid": "join-box" });
    this.controls = h("div", { class: "controls", "data-testid": "controls" });
    this.teams = h("div", { class: "teams", "data-testid": "teams" });
    this.monitor = h("div", { class: "monitor", "data-testid": "monitor" });
    this.negs = h("div", { "data-testid": "negotiations" });
    this.results = h("div", { "data-testid": "console-results" });
    this.chatFilter = h("select", { id: "chat-filter", on: { change: () => this.renderChat() } }, h("option", { value: "", text: t("console.chat_all") }));
    this.chatLog = h("ol", { class: "chat-log tall", "aria-live": "polite", "data-testid": "all-chat" });
    this.injectText = h("textarea", { id: "inject-text", rows: 2, maxlength: 4000, "data-testid": "inject-text" });
    this.injectEvent = h("textarea", { id: "inject-event", rows: 2, class: "mono", spellcheck: "false" });
    this.injectErr = h("p", { class: "form-error", role: "alert" });
    const inject = h("form", { class: "inject", on: { submit: (e) => { e.preventDefault(); this.inject(); } } },
      h("div", { class: "field" }, h("label", { for: "inject-text", text: t("console.inject_text") }), this.injectText),
      h("details", {}, h("summary", { text: t("console.inject_event") }),
        h("div", { class: "field" }, h("label", { for: "inject-event", text: t("console.inject_event_label") }), this.injectEvent,
          h("p", { class: "hint", text: t("console.inject_event_hint") }))),
      this.injectErr,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: t("console.inject_send"), "data-testid": "inject-send" })));
    this.announcements = h("ol", { class: "announcements" });
    // the cards stay hidden until the first view fills them: cards that grew under the reader's
    // eyes (the join box, the QR code) would push the rest down (layout shift)
    this.waiting = h("p", { class: "muted connecting", role: "status", "data-testid": "console-waiting", text: t("conn.connecting") });
    this.grid = h("div", { class: "console-grid", hidden: true },
      sec("sec-join", t("console.join_title"), this.joinBox),
      sec("sec-controls", t("console.controls"), this.controls),
      sec("sec-teams", t("console.teams"), this.teams),
      sec("sec-monitor", t("console.monitor"), this.monitor),
      sec("sec-negs", t("console.negotiations"), this.negs),
      sec("sec-results", t("console.results"), this.results),
      sec("sec-chat", t("console.chat"), h("div", { class: "field inline" }, h("label", { for: "chat-filter", text: t("console.chat_filter") }), this.chatFilter), this.chatLog),
      sec("sec-inject", t("console.inject"), inject, h("h3", { text: t("console.announcements") }), this.announcements));
    replace(main, this.waiting, this.grid);
  }

  /** Where the game is (phase and round): what a confirmation was about. */
  moment() {
    const v = this.view;
    return v ? `${v.phase}/${v.status.current_round}` : "";
  }

  /** Send a control. `confirm` (a spec, or a function giving one at click time, or null when
   *  nothing needs asking) says exactly what will happen first; its `choices` may offer
   *  another action instead (e.g. sign the default terms rather than end without alliances). */
  async control(action, extra = {}, { confirm } = {}) {
    const ask = typeof confirm === "function" ? confirm() : confirm;
    if (ask) {
      const choices = ask.choices || [{ value: action, text: ask.ok, cls: "danger", testid: "confirm-ok" }];
      const asked = this.moment();
      const chosen = await choiceDialog({ title: ask.title, body: ask.body, cancel: t("common.cancel"), choices });
      if (!chosen) return null;
      // the game moved on while the question was open (round 2 ended by itself): a yes to
      // "End round 2 now?" must not end round 3, which nobody was asked about
      if (this.moment() !== asked) {
        toast(t("ctl.moved_on"), "error", 6000);
        return null;
      }
      action = chosen;
    }
    try {
      const r = await this.socket.send("control", { action, ...extra });
      return r;
    } catch (e) {
      toast(errorText(e), "error", 6000);
      return null;
    }
  }

  onMessage(m) {
    if (m.type === "view") { this.setView(m.view); return; }
    // the view follows the one fold of pushes (viewfold.js), then what it touched is redrawn
    if (this.view) Object.assign(this.view, applyPush(this.view, m));
    switch (m.type) {
      case "status":
        if (this.view) this.renderStatus();
        break;
      case "clock":
        if (this.view) {
          this.updateClock();
          this.renderControls();
        }
        break;
      case "chat":
        this.chatLines.push(m);
        this.renderChat(m);
        break;
      case "negotiation":
      case "selection":
      case "renegotiation":
        if (this.view) this.renderNegs();
        break;
      case "round_result":
        toast(t("console.round_done", { n: m.round }), "ok");
        this.lastSources = m.sources;
        if (m.unusable) {  // a firm's decision could not be used: it played its default
          const firms = Object.keys(m.unusable).map((f) => this.firmName(f)).join(", ");
          toast(t("console.unusable", { firms }), "error", 12000);
        }
        break;
      case "announcement":
        if (this.view) this.renderAnnouncements();
        break;
      case "session_ended":
        toast(t("console.ended"), "info", 8000);
        break;
      default: break;
    }
  }

  setView(v) {
    const first = !this.view;
    const moved = first || this.view.phase !== v.phase;
    this.view = v;
    document.body.dataset.phase = v.phase;
    if (moved) this.orderSections(v.phase);
    this.creds.code = v.session.code;
    if (!this.creds.session_id) {
      // a link with the token alone (`python run.py --demo` prints one): the view names the
      // session, and its id is what still opens the debrief and the data once it has ended
      this.creds.session_id = v.session.id;
      const kept = store.get("facilitator");
      if (kept && kept.token === this.creds.token) store.set("facilitator", { ...kept, session_id: v.session.id });
    }
    if (first) remember({ ...this.creds, session_id: v.session.id, code: v.session.code, title: v.session.title });
    if (first || this.joinCode !== v.session.code) this.renderJoin();
    this.updateClock();
    this.renderControls();
    this.renderStatus();
    this.renderNegs();
    this.renderResults();
    const lines = [];
    for (const list of Object.values(v.chat || {})) lines.push(...list);
    lines.sort((a, b) => a.time - b.time);
    this.chatLines = lines;
    this.renderChatFilter();
    this.renderChat();
    this.renderAnnouncements();
    if (first) { this.waiting.remove(); this.grid.hidden = false; }
  }

  orderSections(phase) {
    const first = FIRST_SECTION[phase];
    this.grid.classList.toggle("negs-first", first === "sec-negs");
    let after = this.grid.querySelector("#sec-controls");
    for (const id of first ? [first, ...MOVABLE.filter((x) => x !== first)] : MOVABLE) {
      const sec = this.grid.querySelector(`#${id}`);
      if (after.nextElementSibling !== sec) after.after(sec);
      after = sec;
    }
  }

  updateClock() {
    const v = this.view;
    const st = v.status;
    this.clock.update({ phase: v.phase, round: st.current_round, rounds: v.rounds, clock: st.clock });
  }

  firmName(fid) {
    const f = this.view && this.view.firms[fid];
    return f ? f.name : fid;
  }

  channelLabel(ch) {
    if (ch.startsWith("firm:")) return t("console.channel_firm", { firm: this.firmName(ch.slice(5)) });
    const aid = ch.slice("alliance:".length);
    const a = this.view.alliances[aid] || this.view.negotiations[aid];
    const firms = a ? (a.firms || []).map((f) => this.firmName(f)).join(" ⇄ ") : aid;
    return t("console.channel_alliance", { firms });
  }

  // ---- join: code, QR, link ----------------------------------------------------------------

  renderJoin() {
    const s = this.view.session;
    this.joinCode = s.code;
    const shown = s.code.length === 8 ? `${s.code.slice(0, 4)}-${s.code.slice(4)}` : s.code;
    const url = s.join_url;
    const copyBtn = h("button", { type: "button", class: "secondary", text: t("console.copy_link"), on: { click: async () => {
      try { await navigator.clipboard.writeText(url); toast(t("console.copied"), "ok"); } catch { toast(url); }
    } } });
    const big = h("button", { type: "button", class: "secondary", text: t("console.show_big"), "aria-expanded": "false" });
    const box = this.joinBox;
    big.addEventListener("click", () => {
      const on = !box.classList.contains("fullscreen");
      box.classList.toggle("fullscreen", on);
      big.setAttribute("aria-expanded", String(on));
      big.textContent = on ? t("console.show_small") : t("console.show_big");
    });
    replace(box,
      h("p", { class: "muted", text: t("console.session_line", { title: s.title }) }),
      h("div", { class: "join-code-wrap" },
        h("div", {}, h("p", { class: "label", text: t("console.code") }),
          h("p", { class: "join-code", "data-testid": "join-code", text: shown }),
          h("p", { class: "label", text: t("console.join_at") }),
          h("p", { class: "join-url", "data-testid": "join-url" }, urlText(url)),
          localOnly(url) ? h("p", { class: "warning", role: "note", "data-testid": "join-url-local",
            text: t("console.join_local_only") }) : null,
          this.creds.study_link ? h("p", { class: "label", text: t("console.study_link") }) : null,
          this.creds.study_link ? h("p", { class: "join-url", "data-testid": "study-link" }, urlText(this.creds.study_link)) : null),
        h("img", { class: "qr", src: `/qr/${encodeURIComponent(shown)}.svg`, alt: t("console.qr_alt", { url }), "data-testid": "qr", width: 240, height: 240 })),
      h("div", { class: "actions" }, copyBtn, big,
        h("a", { class: "button secondary", href: "/projector", target: "_blank", rel: "noopener", text: t("console.open_projector") }),
        h("a", { class: "button secondary", href: "/debrief", target: "_blank", rel: "noopener", text: t("console.open_debrief") }),
        h("button", { type: "button", class: "secondary", text: t("console.export"), "data-testid": "export", on: { click: () => this.exportData() } }),
        h("button", { type: "button", class: "secondary", text: t("sessions.device"), "data-testid": "another-device", on: { click: () => anotherDevice(this.creds.token) } }),
        h("button", { type: "button", class: "link", text: t("console.new_session"), on: { click: async () => {
          const ok = await confirmDialog({ title: t("console.new_confirm_title"), body: t("console.new_confirm_body"), ok: t("console.new_session"), cancel: t("common.cancel") });
          if (ok) { this.destroy(); store.remove("facilitator"); showCreate(start); }
        } } })));
  }

  exportData() {
    return downloadExport(this.view.session.id, this.creds.token);
  }

  // ---- controls ----------------------------------------------------------------------------

  renderControls() { renderControls(this); }

  // ---- teams and monitor ---------------------------------------------------------------------

  renderStatus() {
    const v = this.view;
    const st = v.status;
    this.updateClock();
    const firms = Object.values(v.firms).sort((a, b) => a.copy - b.copy);
    const byFirm = new Map(firms.map((f) => [f.id, []]));
    for (const p of st.players) (byFirm.get(p.firm) || []).push(p);
    // teams: players per firm with a move control (a choice being made survives a refresh)
    const picked = new Map();
    for (const sel of this.teams.querySelectorAll("select[data-player]")) picked.set(sel.dataset.player, sel.value);
    const focused = document.activeElement && this.teams.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    this.picked = picked;
    clear(this.teams);
    this.teams.append(h("p", { class: "muted", "data-testid": "lobby-count", text: t("console.lobby_count", { n: st.players.length, connected: st.connected }) }));
    const grid = h("div", { class: "firm-grid" });
    for (const f of firms) {
      const players = byFirm.get(f.id);
      const bot = st.bots && st.bots[f.id];
      const card = h("div", { class: "firm-card", "data-firm": f.id, "data-testid": `firm-${f.id}` },
        h("h3", {}, f.name, " ", h("span", { class: "tag", text: t("console.copy_n", { n: f.copy }) })),
        bot ? h("p", { class: "tag bot", text: t("console.bot_seat", { strategy: t(`strategy.${bot}`) }) }) : null,
        players.length ? h("ul", { class: "players" }, players.map((p) => playerRow(this, p, firms))) : h("p", { class: "muted", text: bot ? "" : t("console.empty_firm") }));
      grid.append(card);
    }
    // forming the teams (lobby only; built once so its file and preview survive this redraw),
    // and students asking for their seat on a new device
    if (v.phase === "lobby") this.teams.append((this.formation = this.formation || new TeamFormation(this)).el);
    this.teams.append(seatRequests(this, st.seat_requests) || "", moveMany(this, firms, st.players), grid);
    if (focused) { const el = this.teams.querySelector(`[data-testid="${focused}"]`); if (el) el.focus(); }
    // monitor: per firm connected, draft, submitted, who holds up the round
    const practice = v.phase === "practice" ? st.practice || { submitted: {}, waiting_for: [] } : null;
    const waiting = new Set((practice || st).waiting_for || []);
    const rows = firms.map((f) => {
      const players = byFirm.get(f.id);
      const on = players.filter((p) => p.connected).length;
      const draft = v.drafts[f.id];
      const nDraft = draft ? Object.keys(draft).length : 0;
      const sub = (practice || st).submitted[f.id];
      const bot = st.bots && st.bots[f.id];
      let state;
      if (v.phase !== "execution" && !practice) state = h("span", { class: "muted", text: "–" });
      else if (sub) state = h("span", { class: "ok" }, h("span", { "aria-hidden": "true", text: "✓ " }), t("console.submitted_by", { name: playerName(this, sub) }));
      else state = h("span", { class: "waiting" }, h("span", { "aria-hidden": "true", text: "◷ " }), t("console.waiting"));
      return h("tr", { class: waiting.has(f.id) ? "holding" : "", "data-testid": `mon-${f.id}` },
        h("th", { scope: "row", text: f.name }),
        h("td", { text: bot ? t("console.bot_short") : t("console.connected_of", { on, n: players.length }) }),
        h("td", { text: nDraft ? t("console.draft_fields", { n: nDraft }) : t("console.draft_empty") }),
        h("td", {}, state));
    });
    const holding = [...waiting].map((f) => this.firmName(f));
    replace(this.monitor,
      practice ? h("p", { class: practice.closed ? "ok" : "waiting", role: "status", "data-testid": "practice-state" },
        practice.closed ? t("console.practice_over") : t("console.practice_waiting", { firms: holding.join(", ") || "–" })) : null,
      v.phase === "execution" ? h("p", { class: holding.length ? "waiting" : "ok", role: "status", "data-testid": "holding" },
        holding.length ? t("console.holding", { firms: holding.join(", ") }) : t("console.all_in")) : null,
      scrollRegion(h("table", { class: "table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("console.firm") }), h("th", { scope: "col", text: t("console.players") }),
          h("th", { scope: "col", text: t("console.draft") }), h("th", { scope: "col", text: t("console.submitted") }))),
        h("tbody", {}, rows)), t("console.monitor")));
    this.renderControls();
  }

  /** "West 1 ⇄ East 1": a negotiation's two firms by name. */
  negFirms(aid) {
    const n = (this.view.negotiations || {})[aid];
    return n ? n.firms.map((f) => this.firmName(f)).join(" ⇄ ") : aid;
  }

  renderNegs() { renderNegs(this); }

  renderResults() { renderResults(this); }

  // ---- chat and announcements ---------------------------------------------------------------

  renderChatFilter() {
    const v = this.view;
    const channels = new Set(Object.keys(v.chat || {}));
    for (const f of Object.keys(v.firms)) channels.add(`firm:${f}`);
    for (const a of [...Object.keys(v.alliances || {}), ...Object.keys(v.negotiations || {})]) channels.add(`alliance:${a}`);
    const cur = this.chatFilter.value;
    replace(this.chatFilter, h("option", { value: "", text: t("console.chat_all") }),
      [...channels].sort().map((ch) => h("option", { value: ch, selected: ch === cur, text: this.channelLabel(ch) })));
  }

  renderChat(one) {
    const ch = this.chatFilter.value;
    const line = (m) => chatLine(m, (f) => this.firmName(f), { showChannel: true, channelLabel: (c) => this.channelLabel(c) });
    if (one) {
      if (!ch || one.channel === ch) { this.chatLog.append(line(one)); this.chatLog.scrollTop = this.chatLog.scrollHeight; }
      return;
    }
    replace(this.chatLog, this.chatLines.filter((m) => !ch || m.channel === ch).map(line));
    if (!this.chatLog.children.length) this.chatLog.append(h("li", { class: "muted", text: t("chat.empty") }));
    this.chatLog.scrollTop = this.chatLog.scrollHeight;
  }

  renderAnnouncements() {
    replace(this.announcements, (this.view.announcements || []).slice().reverse().map((a) =>
      h("li", {}, h("time", { text: clockTime(a.time) }), " ", a.text || "", a.event ? h("code", { text: ` ${JSON.stringify(a.event)}` }) : null)));
  }

  async inject() {
    this.injectErr.textContent = "";
    const text = this.injectText.value.trim();
    let event;
    if (this.injectEvent.value.trim()) {
      try {
        event = JSON.parse(this.injectEvent.value);
        if (!event || typeof event !== "object" || Array.isArray(event)) throw new Error("map");
      } catch {
        this.injectErr.textContent = t("console.inject_bad_json");
        return;
      }
    }
    if (!text && !event) { this.injectErr.textContent = t("console.inject_empty"); return; }
    const r = await this.control("inject", { text: text || undefined, event });
    if (r) { this.injectText.value = ""; this.injectEvent.value = ""; toast(t("console.injected"), "ok"); }
  }
}

let app = null;
function start(creds) {
  if (app) app.destroy();
  app = new Console(creds);
  window.__console = app;
}

(function boot() {
  // `/console#token=...` (the link `python run.py --demo` prints): the fragment never
  // reaches the server or its logs; keep the token like a session created here, then
  // take it out of the address bar (and so out of the history and bookmarks)
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    // with the session's id (the console's own link carries it): an ended session's token
    // is refused on the socket, and the id is what still opens its debrief and export
    const session = fragment.get("session");
    store.set("facilitator", session ? { token: fragment.get("token"), session_id: session } : { token: fragment.get("token") });
    history.replaceState(null, "", location.pathname + location.search);
  }
  const creds = store.get("facilitator");
  if (creds && creds.token && !new URLSearchParams(location.search).has("new")) start(creds);
  else showCreate(start);
})();

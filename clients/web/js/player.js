// The player page: join with the code, wait in the lobby, read the brief, negotiate the
// term sheet, decide each round with the team, read the results, chat.
// early.js first: in the bundle its socket opens before the other modules are evaluated
import { browserLanguage, resumes, claimSocket } from "./early.js";
import { h, $, append, clear, replace, toast } from "./dom.js";
import { t, applyI18n, errorText, num, pct, ordinal, lang } from "./i18n.js";
import { LiveSocket, api } from "./socket.js";
import { store, connectionIndicator, PhaseClock, announcementBanner, isDismissed, trackStickyOffsets, languageSwitcher, endedReasonText } from "./common.js";
import { ChatPanel } from "./chat.js";
import { NegotiationPanel, termSummary } from "./termsheet.js";
import { DecisionForm } from "./decision.js";
import { negotiatorNote, roleTags, rolesCard } from "./firmroles.js";
import { applyPush, mergeDraft } from "./viewfold.js";
import { ResultsPanel } from "./results.js";
import { GuidePanel } from "./guide.js";
import { SelectionPanel } from "./selection.js";
import { prose } from "./prose.js";
import { scrollRegion } from "./scrollregion.js";
import { focusLost, moveFocus } from "./focus.js";
import { rejoinCode, rejoinFromLink } from "./seatmove.js";
import { bindGame, showJoin, showCompletion } from "./player_join.js";
import { practicePanel } from "./practice.js";
import { RenegotiationPanel } from "./renegotiation.js";

const TABS = ["firm", "deal", "round", "results", "chat", "help"];
// the tab a phase opens on
const PHASE_TAB = { lobby: "firm", practice: "round", selection: "deal", negotiation: "deal", renegotiation: "deal",
                    execution: "round", break: "results", debrief: "results" };
const WIDE = window.matchMedia("(min-width: 960px)");

applyI18n();
const sticky = trackStickyOffsets();
const main = $("#main");
const topbar = $("#topbar");
const banners = $("#banners");

// ---- the game --------------------------------------------------------------------------------

class PlayerApp {
  constructor(creds) {
    this.creds = creds;
    this.view = null;
    this.lastResult = null;  // the last round_result: a round_delta may cite its events
    this.tab = null;
    this.negPanels = new Map();
    this.context = null;
    this.later = [];  // the first view's hidden tabs, drawn in the next task (drawLater)
    const early = claimSocket(creds.token);  // opened by js/early.js while this page loaded
    this.socket = early || new LiveSocket(creds.token, { language: browserLanguage() });
    this.clock = new PhaseClock(this.socket);
    this.chat = new ChatPanel({ socket: this.socket, firmName: (f) => this.firmName(f), onUnread: (n) => this.setUnread(n),
                                 me: creds.player_id });
    this.results = new ResultsPanel();
    this.guide = new GuidePanel(creds.token);
    this.buildShell();
    this.socket.addEventListener("message", (e) => this.onMessage(e.detail));
    this.socket.addEventListener("denied", (e) => {
      store.remove("player");
      this.destroy();
      showJoin(e.detail && e.detail.code === "token_revoked" ? errorText(e.detail) : t("join.expired"));
    });
    this.socket.addEventListener("state", (e) => {
      document.body.dataset.conn = e.detail;
      if (e.detail === "ended") this.showEnded();
    });
    if (early) early.release();
    else this.socket.connect();
  }

  destroy() {
    this.socket.close();
    clearInterval(this.clock.tick);
  }

  buildShell() {
    clear(topbar);
    this.firmTitle = h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true", text: "⇄" }),
      h("span", { class: "firm-name", "data-testid": "firm-name", text: t("app.name") }));
    topbar.classList.add("game-bar");  // app.css: one compact line on a phone
    topbar.append(this.firmTitle, this.clock.el, connectionIndicator(this.socket), languageSwitcher());
    this.nav = h("nav", { class: "tabs", role: "tablist", "aria-label": t("player.sections") });
    this.tabButtons = {};
    this.panels = {};
    for (const id of TABS) {
      const b = h("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`, "data-tab": id,
                              "data-testid": `tab-${id}`, on: { click: () => this.showTab(id, true) } },
        h("span", { class: "tab-label", text: t(`tab.${id}`) }), h("span", { class: "badge", hidden: true }));
      b.addEventListener("keydown", (e) => this.tabKeys(e, id));
      this.tabButtons[id] = b;
      this.nav.append(b);
      this.panels[id] = h("section", { id: `panel-${id}`, role: "tabpanel", "aria-labelledby": `tab-${id}`, class: `panel panel-${id}`, tabindex: "-1" });
    }
    this.panels.chat.append(this.chat.el);
    this.panels.results.append(this.results.el);
    this.panels.help.append(this.guide.el);
    this.loading = h("p", { class: "muted loading", text: t("common.loading") });
    replace(main, this.nav, h("div", { class: "layout" }, h("div", { class: "main-col" }, this.loading,
      this.panels.firm, this.panels.deal, this.panels.round, this.panels.results, this.panels.help), h("aside", { class: "side-col" }, this.panels.chat)));
    WIDE.addEventListener("change", () => this.showTab(this.tab || "firm"));
    sticky.observe(this.nav);
  }

  tabKeys(e, id) {
    const visible = TABS.filter((x) => !(WIDE.matches && x === "chat"));
    const i = visible.indexOf(id);
    let next = null;
    if (e.key === "ArrowRight") next = visible[(i + 1) % visible.length];
    else if (e.key === "ArrowLeft") next = visible[(i - 1 + visible.length) % visible.length];
    else if (e.key === "Home") next = visible[0];
    else if (e.key === "End") next = visible[visible.length - 1];
    if (next) { e.preventDefault(); this.showTab(next, true); this.tabButtons[next].focus(); }
  }

  showTab(id, user = false) {
    if (!this.drawingFirst) this.drawLater();  // a tab chosen before the hidden ones were drawn
    if (WIDE.matches && id === "chat") id = this.tab && this.tab !== "chat" ? this.tab : "firm";
    this.tab = id;
    for (const x of TABS) {
      const on = x === id;
      this.tabButtons[x].setAttribute("aria-selected", String(on));
      this.tabButtons[x].tabIndex = on ? 0 : -1;
      this.panels[x].hidden = !(on || (x === "chat" && WIDE.matches));
    }
    this.chat.setVisible(WIDE.matches || id === "chat");
    if (id === "help" && this.view) this.guide.update(this.view);
    document.body.dataset.tab = id;
  }

  setUnread(n) {
    const badge = this.tabButtons.chat.querySelector(".badge");
    badge.hidden = !n;
    badge.textContent = n ? t("chat.unread", { n }) : "";
  }

  firmName(fid) {
    const v = this.view;
    if (!v) return fid;
    if (fid === v.firm.id) return v.firm.name;
    for (const a of v.alliances || []) if (a.partner.id === fid) return a.partner.name;
    for (const [, c] of Object.entries((this.context && this.context.negotiations) || {})) if (c.partner.id === fid) return c.partner.name;
    for (const n of v.negotiations || []) if (n.partner && n.partner.id === fid) return n.partner.name;
    if (this.selection) return this.selection.firmName(fid);
    return fid;
  }

  nameOf(pid) {
    const m = ((this.view && this.view.team) || []).find((p) => p.player_id === pid);
    if (m) return m.name;
    if (pid && pid.startsWith("bot:")) return t("common.bot");
    return pid === "facilitator" ? t("common.facilitator") : t("common.someone");
  }

  // ---- messages --------------------------------------------------------------------------------

  onMessage(m) {
    this.drawLater();  // what the first view left for later comes before anything newer
    if (m.type === "view") { this.setView(m.view); return; }
    if (m.type === "round_result") this.lastResult = m;
    if (m.type === "round_delta") {  // the new round's view, as changes to the one held
      let next = null;
      try { next = applyPush(this.view, m, this.lastResult); } catch { this.socket.resync(); return; }
      this.setView(next);
      return;
    }
    if (m.type === "welcome" && m.player_id && m.player_id !== this.creds.player_id) {
      // the facilitator merged this device's row into this person's seat (merge_players):
      // the same token now opens that seat; start again as it
      store.set("player", { ...this.creds, player_id: m.player_id, firm: m.firm });
      location.reload();
      return;
    }
    // the view follows the one fold of pushes (viewfold.js, the Python clients' table);
    // the same object is kept, so what holds it sees the change
    if (this.view) Object.assign(this.view, applyPush(this.view, m));
    switch (m.type) {
      case "draft":
        if (this.decision) this.decision.onDraftPush(m, this.view ? this.view.draft : mergeDraft({}, m.changed || {}));
        break;
      case "submitted":
        if (m.practice) {  // round 0: the practice round (folded into view.practice)
          if (this.view && this.view.practice) this.renderRound();
        } else if (this.view && m.round === this.view.current_round) {
          if (this.decision) this.decision.setSubmitted(this.view.submitted);
          this.renderRoundStatus();
        }
        break;
      case "chat": this.chat.add(m); break;
      case "clock":
        if (this.view) this.updateClock();
        break;
      case "negotiation":
        if (this.view) {
          this.renderDeal();
          for (const ev of m.events || []) this.negotiationToast(ev, m.negotiation && m.negotiation.id);
        }
        break;
      case "selection":
        if (this.view) {
          this.renderDeal();
          for (const ev of m.events || []) this.selectionToast(ev);
        }
        break;
      case "renegotiation":
        if (this.view) {
          this.renderDeal();
          if ((m.events || []).some((e) => e.type === "terms_renegotiated")) toast(t("reneg.toast_agreed"), "ok", 6000);
        }
        break;
      case "practice_result": toast(t("practice.result_toast"), "ok", 6000); break;
      case "round_result":
        toast(t("player.round_results", { n: m.round }), "ok", 6000, { topic: "round" });
        this.pendingResults = m.round;
        break;
      case "round_reopened": toast(t("round.reopened", { n: m.round }), "info", 8000, { topic: "round" }); break;
      case "negotiation_reopened": toast(t("deal.reopened"), "info", 8000); break;
      case "announcement": this.announce(m, true); break;
      case "session_ended": this.showEnded(); break;
      case "completion": showCompletion(m); break;
      default: break;
    }
  }

  negotiationToast(ev, id) {
    const mine = ev.by === this.view.firm.id;
    if (mine) return;
    const key = { offer_made: "neg.toast_offer", offer_accepted: "neg.toast_accepted", offer_rejected: "neg.toast_rejected",
                  walked_away: "neg.toast_walked", negotiation_failed: "neg.toast_failed" }[ev.type];
    if (key) toast(t(key, { partner: this.firmName(ev.by) }), ev.type === "offer_accepted" ? "ok" : "info", 6000, { topic: `deal-${id}` });
  }

  selectionToast(ev) {
    const me = this.view.firm.id;
    if (ev.by === me) return;
    const other = ev.sender === me ? ev.receiver : ev.sender;
    const name = (f) => (this.selection ? this.selection.firmName(f) : f);
    const key = { selection_proposed: "sel.toast_proposed", selection_accepted: "sel.toast_accepted",
                  selection_declined: "sel.toast_declined", selection_introduced: "sel.toast_introduced" }[ev.type];
    if (key) toast(t(key, { firm: name(other), by: name(ev.by) }), ev.type === "selection_accepted" ? "ok" : "info", 6000);
  }

  setView(v) {
    let prev = this.view;
    if (prev && prev.firm.id !== v.firm.id) {
      // the facilitator moved this player to another firm: start that firm's page afresh
      toast(t("player.moved", { firm: v.firm.name }), "info", 6000);
      this.negPanels.clear();
      delete this.panels.deal.dataset.built;
      this.decision = null;
      this.roundSig = null;
      this.resultsKey = null;
      this.context = null;
      prev = null;
    }
    this.view = v;
    const had = document.activeElement;
    if (this.loading) { this.loading.remove(); this.loading = null; }
    const name = this.firmTitle.querySelector(".firm-name");
    name.textContent = name.title = v.firm.name;  // truncated on a phone: the whole name on a long press/hover
    document.body.dataset.phase = v.phase;
    this.updateClock();
    // The page's first view draws the tab it shows (and the round form) at once, the hidden
    // tabs in the next task: on a slow phone the form is usable sooner (docs/benchmarks.md,
    // "Phones"). A push or a tab chosen before that task draws them first (drawLater).
    const shown = !prev || prev.phase !== v.phase ? PHASE_TAB[v.phase] || "firm" : this.tab || "firm";
    const draw = (tab, render) => {
      if (!prev && tab !== shown && !(tab === "chat" && WIDE.matches)) this.later.push(render);
      else render();
    };
    draw("firm", () => this.renderFirm());
    draw("deal", () => this.renderDeal());
    this.renderRound(prev);
    draw("results", () => this.renderResults(prev));
    draw("chat", () => this.renderChat());
    this.renderAnnouncements(prev);
    this.drawingFirst = true;
    if (!prev || prev.phase !== v.phase) this.showTab(shown);
    else if (!this.tab) this.showTab("firm");
    this.drawingFirst = false;
    if (this.later.length) {
      // after the next paint (a timer set in the frame's callback runs once it is painted); the
      // second timer for a page in a background tab, which gets no frames
      requestAnimationFrame(() => setTimeout(() => this.drawLater(), 0));
      setTimeout(() => this.drawLater(), 1000);
    }
    this.refocus(had, !prev);
    if (v.phase === "negotiation" && (v.negotiations || []).some((n) => !n.default_terms || !n.partner)) this.fetchContext();
    if (v.session && v.session.status === "ended") this.showEnded();
  }

  /** The join form gone (`first`), or the focused control redrawn or hidden by a redraw:
   *  focus the shown section's heading rather than leave it on <body>. */
  refocus(had, first = false) {
    if (!focusLost() || !(first || (had && had !== document.body))) return;
    const panel = this.panels[this.tab];
    moveFocus(panel.querySelector("h1, h2") || panel);
  }

  async fetchContext() {
    if (this.contextLoading) return;
    this.contextLoading = true;
    try {
      this.context = await api("GET", "/api/web/context", undefined, this.creds.token);
      const had = document.activeElement;
      this.renderDeal();
      this.refocus(had);
      this.renderChat();
    } catch { /* the editor falls back to an empty form */ } finally {
      this.contextLoading = false;
    }
  }

  updateClock() {
    const v = this.view;
    this.clock.update({ phase: v.phase, round: v.current_round, rounds: v.rounds, clock: v.clock });
  }

  // ---- firm ------------------------------------------------------------------------------------

  renderFirm() {
    const v = this.view;
    const p = this.panels.firm;
    clear(p);
    const role = v.phase === "lobby"
      ? h("p", { class: "lobby-note", role: "status", "data-testid": "lobby-note" }, h("span", { "aria-hidden": "true", text: "◷ " }), t("player.lobby_wait"))
      : null;
    const team = h("ul", { class: "team", "data-testid": "team" }, (v.team || []).map((m) => h("li", { class: m.connected ? "online" : "offline" },
      h("span", { class: "dot", "aria-hidden": "true", text: m.connected ? "●" : "○" }), " ",
      h("span", { class: "member-name", text: m.name }), m.player_id === v.me.player_id ? h("span", { class: "tag", text: t("player.you") }) : null, ...roleTags(v, m.player_id),
      h("span", { class: "sr-status", text: ` (${m.connected ? t("player.online") : t("player.offline")})` }))));
    const dn = Object.fromEntries(v.domains.map((d) => [d.id, d.name]));
    const compRows = v.domains.map((d) => h("tr", {},
      h("th", { scope: "row", text: dn[d.id] }),
      h("td", { text: num(v.firm.competence[d.id], 1) }),
      h("td", { text: num(v.rival.competence[d.id], 1) }),
      h("td", { text: pct(d.weight) }),
      h("td", { text: pct(d.tacitness) })));
    // dom.js's append, not Element.append: the lobby note is null once the game runs (a
    // native append would print it as the text "null")
    append(p, [
      h("h1", { class: "section-title", "data-testid": "firm-heading" }, v.firm.name),
      h("p", { class: "role-line", "data-testid": "role-line" }, t("player.role_line", { name: v.me.name, role: this.roleName() })),
      role,
      h("section", { class: "card" }, h("h2", { text: t("player.team") }), team,
        this.creds.rejoin_code ? rejoinCode(this.creds) : null),
      rolesCard(v, (type, f) => this.socket.send(type, f), (pid) => this.nameOf(pid)),
      h("section", { class: "card brief", "aria-labelledby": "brief-title", "data-testid": "brief" },
        h("h2", { id: "brief-title" }, h("span", { class: "tag confidential", text: t("player.confidential") }), " ", t("player.brief")),
        prose(v.me?.texts?.brief ?? v.firm.brief)),
      h("details", { class: "card case", open: v.phase === "lobby" },
        h("summary", { text: t("player.case") }), prose(v.me?.texts?.case ?? v.case)),
      h("section", { class: "card" }, h("h2", { text: t("player.competences") }),
        h("p", { class: "hint", text: t("player.competences_hint") }),
        scrollRegion(h("table", { class: "table", "data-testid": "competences" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("res.domain") }), h("th", { scope: "col", text: t("res.us") }),
            h("th", { scope: "col", text: t("res.rival") }), h("th", { scope: "col", text: t("player.weight") }), h("th", { scope: "col", text: t("player.tacitness") }))),
          h("tbody", {}, compRows)), t("player.competences")),
        h("p", {}, t("player.position_cash", { position: num(v.firm.position, 1), cash: num(v.firm.cash, v.firm.booked ? 0 : 1), pace: num(v.firm.pace, 2) })))]);
  }

  /** Draw what the first view left for later (hidden tabs), once, in its original order. */
  drawLater() {
    const later = this.later;
    this.later = [];
    for (const render of later) render();
  }

  roleNameOf(role) {
    return (this.roles && this.roles[role]) || role;
  }

  roleName() {
    const r = this.roles && this.roles[this.view.firm.role];
    if (!r && !this.rolesLoading) {
      this.rolesLoading = true;
      api("GET", `/api/scenarios?lang=${encodeURIComponent(lang)}`).then((d) => {
        const s = (d.scenarios || []).find((x) => x.id === this.view.scenario);
        this.roles = Object.fromEntries(((s && s.roles) || []).map((x) => [x.id, x.name]));
        const had = document.activeElement;
        this.renderFirm();
        this.renderDeal();
        this.refocus(had);
      }).catch(() => {});
    }
    return this.view.me?.texts?.role_name || r || this.view.firm.role;
  }

  // ---- deal ------------------------------------------------------------------------------------

  renderDeal() {
    const v = this.view;
    if (!v) return;
    const p = this.panels.deal;
    const negs = v.negotiations || [];
    const me = v.firm.id;
    if (!p.dataset.built) {
      clear(p);
      this.dealIntro = h("div");
      this.dealNegs = h("div");
      this.dealSigned = h("div");
      this.dealReneg = h("div");
      p.append(this.dealIntro, this.dealReneg, this.dealNegs, this.dealSigned);
      p.dataset.built = "yes";
    }
    if (v.phase === "selection" && v.selection) {
      if (!this.selection) this.selection = new SelectionPanel({ socket: this.socket, domains: v.domains, roleName: (r) => this.roleNameOf(r) });
      this.selection.update(v.selection);
      replace(this.dealIntro, this.selection.el);
      return;
    }
    this.selection = null;
    this.renderRenegotiation(v);
    replace(this.dealIntro, negs.length || (v.alliances || []).length ? null
      : h("p", { class: "muted", text: v.phase === "lobby" ? t("deal.lobby") : t("deal.none") }));
    for (const n of negs) {
      let panel = this.negPanels.get(n.id);
      if (!panel) {
        panel = new NegotiationPanel({ socket: this.socket, me, domains: v.domains, budget: v.budget, rounds: v.rounds });
        this.negPanels.set(n.id, panel);
        this.dealNegs.append(panel.el);
      }
      const ctx = this.context && this.context.negotiations && this.context.negotiations[n.id];
      if (ctx) panel.setContext({ partnerName: ctx.partner.name, defaults: ctx.default_terms });
      panel.setReadOnly(negotiatorNote(v, (pid) => this.nameOf(pid)));
      panel.update(n, (v.alliances || []).find((a) => a.id === n.id));
      if (ctx) panel.setContext({ partnerName: ctx.partner.name, defaults: ctx.default_terms });
    }
    clear(this.dealSigned);
    for (const a of v.alliances || []) {
      this.dealSigned.append(h("section", { class: "card", "data-testid": "alliance-terms" },
        h("h2", { text: t("deal.alliance_with", { partner: a.partner.name }) }),
        h("p", {}, h("strong", { text: t("res.status") }), " ", t(`alliance.status_${a.status}`),
          a.ended_reason ? ` (${endedReasonText(a.ended_reason, (f) => this.firmName(f))})` : ""),
        termSummary(a.terms, me, a.partner.id, Object.fromEntries(v.domains.map((d) => [d.id, d.name])), a.partner.name)));
    }
  }

  /** The renegotiation window (renegotiation.js): while it is open the first negotiation's record folds away. */
  renderRenegotiation(v) {
    const w = v.renegotiation;
    this.dealNegs.hidden = !!(w && w.open);
    if (!w || !w.open && v.phase !== "renegotiation" && !w.alliances.some((a) => a.renegotiated)) { clear(this.dealReneg); return; }
    if (!this.reneg) this.reneg = new RenegotiationPanel({ socket: this.socket, me: v.firm.id, domains: v.domains, budget: v.budget, rounds: v.rounds });
    this.reneg.update(w);
    replace(this.dealReneg, this.reneg.el);
  }

  // ---- round -----------------------------------------------------------------------------------

  renderRound(prev) {
    const v = this.view;
    const p = this.panels.round;
    if (v.phase === "practice" && v.practice) {
      const sig = JSON.stringify(["practice", !!v.practice.result, v.practice.submitted && v.practice.submitted.by]);
      if (this.roundSig === sig && this.decision) return;
      this.roundSig = sig;
      const made = practicePanel(v, { socket: this.socket, nameOf: (pid) => this.nameOf(pid) });
      this.decision = made.form;
      this.roundStatus = null;
      replace(p, ...made.el);
      if (made.form) {
        made.form.setSubmitted(v.practice.submitted);
        sticky.observe(made.form.budgetBox);
      }
      return;
    }
    if (v.phase !== "execution") {
      this.decision = null;
      const idle = v.phase === "debrief" ? t("round.over") : v.phase === "break" ? t("round.break", { n: v.round }) : t("round.not_yet");
      replace(p, h("h2", { class: "section-title", text: t("round.title_idle") }),
        h("p", { class: v.phase === "break" ? "waiting" : "muted", role: "status", "data-testid": "round-idle", text: idle }));
      return;
    }
    const sig = JSON.stringify([v.current_round, (v.alliances || []).map((a) => [a.id, a.status, a.due]),
      v.firm_roles && v.firm_roles.holders]);  // a role changed hands: the form's locks follow
    if (!this.decision || this.roundSig !== sig) {
      this.roundSig = sig;
      this.decision = new DecisionForm({ socket: this.socket, view: v, nameOf: (pid) => this.nameOf(pid) });
      // not a live region: the round's heading takes focus when it opens, and the form's
      // submitted banner announces a submission (Orca read it from both)
      this.roundStatus = h("p", { class: "round-status", "data-testid": "round-status" });
      replace(p, h("h2", { class: "section-title", "data-testid": "round-title", text: t("round.title", { n: v.current_round, rounds: v.rounds }) }),
        this.roundStatus, this.decision.el);
      sticky.observe(this.decision.budgetBox);
    } else {
      this.decision.view = v;
      this.decision.applyDraft(v.draft || {}, null);
      this.decision.setSubmitted(v.submitted);
    }
    this.renderRoundStatus();
  }

  renderRoundStatus() {
    if (!this.roundStatus) return;
    const v = this.view;
    const alliance = (v.alliances || []).find((a) => a.status === "active");
    this.roundStatus.textContent = v.submitted
      ? t("round.status_submitted", { name: this.nameOf(v.submitted.by) })
      : alliance ? t("round.status_open", { partner: alliance.partner.name }) : t("round.status_alone");
  }

  renderResults(prev) {
    const v = this.view;
    const histLen = (v.history || []).length;
    if (!this.resultsKey || this.resultsKey !== `${histLen}:${v.phase}`) {
      this.resultsKey = `${histLen}:${v.phase}`;
      this.results.update(v);
      if (v.phase === "debrief" && v.score) this.results.el.prepend(this.finalScore(v.score));
    }
  }

  finalScore(s) {
    return h("section", { class: "card final-score", "data-testid": "final-score" },
      h("h2", { text: t("score.title") }),
      h("p", { class: "big-number", text: s.firms ? t("score.rank", { rank: ordinal(s.rank), of: s.firms }) : ordinal(s.rank) }),
      h("p", { text: t("score.total", { n: num(s.total, 3) }) }),
      h("p", { class: "hint", text: t("score.how") }),
      h("ul", { class: "breakdown" },
        h("li", { text: t("score.internal", { n: pct(s.internal_gain, 1), part: num(s.parts.internal, 3) }) }),
        h("li", { text: t("score.external", { n: pct(s.external_gain, 1), part: num(s.parts.external, 3) }) }),
        h("li", { text: t("score.cash", { n: num(s.cash, 1), part: num(s.parts.cash, 3) }) }),
        h("li", { text: t("score.freedom", { n: pct(s.freedom, 0), part: num(s.parts.freedom, 3) }) })));
  }

  // ---- chat, announcements, end ----------------------------------------------------------------

  renderChat() {
    const v = this.view;
    const channels = Object.keys(v.chat || {}).map((ch) => {
      if (ch.startsWith("firm:")) return { id: ch, to: "firm", label: t("chat.team") };
      const aid = ch.slice("alliance:".length);
      const a = (v.alliances || []).find((x) => x.id === aid);
      const n = (v.negotiations || []).find((x) => x.id === aid);
      let partner = a ? a.partner.name : null;
      if (!partner && n) {
        const ctx = this.context && this.context.negotiations && this.context.negotiations[aid];
        partner = ctx ? ctx.partner.name : null;
      }
      return { id: ch, to: "alliance", label: partner ? t("chat.partner_named", { partner }) : t("chat.partner") };
    });
    this.chat.setChannels(channels);
    this.chat.load(v.chat);
  }

  renderAnnouncements(prev) {
    const list = this.view.announcements || [];
    const before = prev ? (prev.announcements || []).length : list.length;
    clear(banners);
    const last = list[list.length - 1];
    if (last && !isDismissed(last)) banners.append(announcementBanner(last));
    if (prev && list.length > before) toast(t("announce.new"), "info");
  }

  announce(a) {  // (the view holds it already: onMessage folded it)
    clear(banners);
    banners.append(announcementBanner(a));
    toast(t("announce.new"), "info");
  }

  showEnded() {
    if (this.endedShown) return;
    this.endedShown = true;
    if (this.creds.panel) api("GET", "/api/completion", undefined, this.creds.token).then((c) => { if (c.code) showCompletion(c); }).catch(() => {});
    banners.prepend(h("div", { class: "announcement ended", role: "status" }, h("span", { "aria-hidden": "true", text: "■ " }), t("player.session_ended")));
  }
}

let app = null;
bindGame({ start: (creds) => start(creds), playing: () => app !== null });

function start(creds) {
  if (app) app.destroy();
  app = new PlayerApp(creds);
  window.__player = app;
}

// ---- boot ------------------------------------------------------------------------------------

(function boot() {
  const params = new URLSearchParams(location.search);
  const creds = store.get("player");
  const scanned = rejoinFromLink();  // a rejoin QR code: this device takes the seat, whatever it held
  if (resumes(params, creds, scanned)) start(creds);
  else {
    claimSocket(null);  // closes a socket js/early.js may have opened
    showJoin("", {}, scanned);
  }
})();

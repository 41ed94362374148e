// The room: a full-screen page for the projector (the join code, the clock, who has
// submitted, then the results) and the debrief. Opened from the facilitator console in
// the same browser: it uses the console's stored token and only shows what the whole
// room may see (no briefs, no decisions, no chat).
import { h, $, replace, toast, urlText } from "./dom.js";
import { t, applyI18n, num, pct, errorText, lang } from "./i18n.js";
import { LiveSocket, api } from "./socket.js";
import { store, connectionIndicator, PhaseClock, announcementBanner, languageSwitcher } from "./common.js";
import { Debrief } from "./debrief.js";
import { scrollRegion } from "./scrollregion.js";
import { applyPush } from "./viewfold.js";

applyI18n();
const main = $("#main");
const topbar = $("#topbar");
const banners = $("#banners");
const forceDebrief = location.pathname.startsWith("/debrief");

class Room {
  constructor(creds) {
    this.creds = creds;
    this.view = null;
    this.mode = forceDebrief ? "debrief" : "room";
    this.socket = new LiveSocket(creds.token);
    this.clock = new PhaseClock(this.socket, { big: true });
    this.modeBtn = h("button", { type: "button", class: "secondary", "data-testid": "mode-toggle", on: { click: () => this.setMode(this.mode === "room" ? "debrief" : "room") } });
    this.fsBtn = h("button", { type: "button", class: "secondary", text: t("room.fullscreen"), on: { click: () => this.fullscreen() } });
    replace(topbar, h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true", text: "⇄" }), h("span", { class: "room-title", text: t("room.title") })),
      h("div", { class: "actions" }, this.modeBtn, this.fsBtn), this.conn = connectionIndicator(this.socket), languageSwitcher());
    this.roomEl = h("div", { class: "room", "data-testid": "room" });
    this.debrief = new Debrief();
    this.debriefBox = h("div", { class: "debrief-box" }, this.debrief.el);
    // for late joiners: the join code and QR code in a corner whenever the lobby's big ones are not shown
    this.corner = h("aside", { class: "room-corner", "data-testid": "room-corner", "aria-label": t("room.join_late"), hidden: true });
    replace(main, this.roomEl, this.debriefBox, this.corner);
    this.setMode(this.mode, false);
    this.socket.addEventListener("message", (e) => this.onMessage(e.detail));
    this.socket.addEventListener("denied", (e) => {
      // ended or archived: no live socket any more, but the debrief is read from the log
      if (["session_archived", "token_expired"].includes(e.detail.code) && creds.session_id) this.showArchived();
      else replace(main, h("p", { class: "card narrow", text: t("room.no_session") }));
    });
    this.socket.connect();
  }

  // an archived session (idle too long) has no live socket: its debrief comes from the log, read-only
  showArchived() {
    // ended: nobody joins any more, so no join code in the corner (it would only be refused)
    this.view = { session: { id: this.creds.session_id, status: "ended" } };
    this.modeBtn.hidden = true;
    this.archived = true;
    // not "Not signed in": the room reads the ended session, read-only
    this.conn.dataset.state = "ended";
    this.conn.querySelector(".conn-label").textContent = t("conn.ended");
    this.setMode("debrief");
  }

  setMode(mode, load = true) {
    this.mode = mode;
    this.modeBtn.textContent = mode === "room" ? t("room.show_debrief") : t("room.show_room");
    this.roomEl.hidden = mode !== "room";
    this.debriefBox.hidden = mode !== "debrief";
    document.body.dataset.mode = mode;
    this.renderCorner();
    if (mode === "debrief" && load) this.loadDebrief();
  }

  fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => toast(t("room.fullscreen_failed")));
  }

  async loadDebrief() {
    if (!this.view) return;
    try {
      const hist = await api("GET", `/api/web/history/${encodeURIComponent(this.view.session.id)}?lang=${encodeURIComponent(lang)}`, undefined, this.creds.token);
      this.debrief.render(hist);
      document.body.dataset.debrief = "ready";
      // after the end the room shows the final standings first
      if (this.archived) this.debrief.el.querySelector("[data-testid=ranking]")?.scrollIntoView({ block: "start" });
    } catch (e) {
      replace(this.debrief.el, h("p", { class: "form-error", role: "alert", text: errorText(e) }));
    }
  }

  onMessage(m) {
    const prev = this.view;
    // the view follows the one fold of pushes (viewfold.js), then what it touched is redrawn
    if (m.type === "view") this.view = m.view;
    else if (this.view) Object.assign(this.view, applyPush(this.view, m));
    switch (m.type) {
      case "view":
        this.render();
        if (m.view.phase === "debrief" && (!prev || prev.phase !== "debrief") && this.mode !== "debrief") this.setMode("debrief");
        else if (this.mode === "debrief" && (!prev || prev.round !== m.view.round)) this.loadDebrief();
        break;
      case "status":
      case "negotiation":
      case "renegotiation":
        if (this.view) this.render();
        break;
      case "clock":
        if (this.view) this.updateClock();
        break;
      case "announcement":
        replace(banners, announcementBanner(m));
        break;
      case "session_ended":  // no one joins an ended session: the corner goes
        if (this.view) this.renderCorner();
        break;
      default: break;
    }
  }

  name(fid) {
    return (this.view.firms[fid] || {}).name || fid;
  }

  /** The join code as people type it: ABCD-EFGH. */
  joinCode() {
    const c = this.view.session.code;
    return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : c;
  }

  qr(cls) {
    return h("img", { class: cls, src: `/qr/${encodeURIComponent(this.joinCode())}.svg`, alt: t("console.qr_alt", { url: this.view.session.join_url }) });
  }

  renderCorner() {
    const v = this.view;
    const show = !!v && v.session.status !== "ended" && !(v.phase === "lobby" && this.mode === "room");
    this.corner.hidden = !show;
    main.classList.toggle("with-corner", show);
    if (!show || this.corner.dataset.code === v.session.code) return;
    this.corner.dataset.code = v.session.code;
    replace(this.corner, h("p", { class: "label", text: t("room.join_late") }), this.qr("qr"),
      h("p", { class: "join-code", "data-testid": "corner-code", text: this.joinCode() }),
      h("p", { class: "join-url", "data-testid": "corner-url" }, urlText(v.session.join_url.split("?")[0])));
  }

  updateClock() {
    const v = this.view;
    this.clock.update({ phase: v.phase, round: v.status.current_round, rounds: v.rounds, clock: v.status.clock });
  }

  render() {
    const v = this.view;
    this.updateClock();
    document.body.dataset.phase = v.phase;
    const st = v.status;
    const blocks = [h("div", { class: "room-clock" }, this.clock.el)];
    if (v.phase === "lobby") {
      const code = this.joinCode();
      blocks.push(h("div", { class: "room-join" },
        h("div", {}, h("p", { class: "label", text: t("room.join_at") }), h("p", { class: "join-url big", "data-testid": "room-url" }, urlText(v.session.join_url)),
          h("p", { class: "label", text: t("room.code") }), h("p", { class: "join-code huge", "data-testid": "room-code", text: code }),
          h("p", { class: "room-count", role: "status", text: t("room.joined", { n: st.players.length }) })),
        this.qr("qr big")));
    }
    if (v.phase === "negotiation") {
      // the pairs still talking first, smaller tiles for a large class: as for the round
      // below, the room sees who it waits for without scrolling a projector
      const negs = Object.values(v.negotiations).sort((a, b) => (a.status !== "open") - (b.status !== "open"));
      const settled = negs.filter((n) => n.status !== "open").length;
      blocks.push(h("p", { class: "room-count", role: "status", "data-testid": "room-neg-settled", text: t("room.neg_settled", { n: settled, total: negs.length }) }));
      blocks.push(h("ul", { class: ["room-grid", negs.length > 12 && "many"], "data-testid": "room-negotiations" }, negs.map((n) => {
        const icon = { open: "◷", agreed: "✓", failed: "✕" }[n.status];
        return h("li", { class: `room-item ${n.status}`, "data-testid": `room-neg-${n.id}` }, h("span", { class: "icon", "aria-hidden": "true", text: icon }),
          h("span", { class: "room-name", text: n.firms.map((f) => this.name(f)).join(" ⇄ ") }),
          h("span", { class: "room-state", text: t(`console.neg_${n.status}`) }));
      })));
    }
    if (v.phase === "execution") blocks.push(...this.submissions(st.submitted));
    if (v.phase === "practice") {  // round 0: the same board from its own record, then its end
      const pr = st.practice || { submitted: {} };
      blocks.push(...(pr.closed ? [h("p", { class: "room-count", role: "status", "data-testid": "room-practice-over", text: t("room.practice_over") })]
        : this.submissions(pr.submitted || {})));
    }
    if (v.phase === "renegotiation" && v.renegotiation) blocks.push(this.window());
    if (v.phase === "break") blocks.push(this.standings());
    if (v.round > 0 && v.phase !== "lobby") blocks.push(this.lastResults());
    replace(this.roomEl, ...blocks);
    this.renderCorner();
  }

  /** Who has submitted: the firms still deciding first (in their copies' order), so that with
   * thirty firms the room sees who it waits for without scrolling a projector. */
  submissions(submitted) {
    const firms = Object.values(this.view.firms).sort((a, b) => (!!submitted[a.id] - !!submitted[b.id]) || a.copy - b.copy);
    const done = firms.filter((f) => submitted[f.id]).length;
    return [h("p", { class: "room-count", role: "status", "data-testid": "room-submitted", text: t("room.submitted_count", { n: done, total: firms.length }) }),
      h("ul", { class: ["room-grid", firms.length > 12 && "many"], "data-testid": "room-firms" }, firms.map((f) => {
        const sub = !!submitted[f.id];
        return h("li", { class: `room-item ${sub ? "agreed" : "open"}`, "data-testid": `room-${f.id}` },
          h("span", { class: "icon", "aria-hidden": "true", text: sub ? "✓" : "◷" }),
          h("span", { class: "room-name", text: f.name }),
          h("span", { class: "room-state", text: sub ? t("room.submitted") : t("room.deciding") }));
      }))];
  }

  /** A renegotiation window as the room may see it: which round, when new terms would apply,
   * how many alliances have settled and which are still talking (the clock shows the time
   * left). Public facts only: the facilitator's view this comes from holds every pair's terms,
   * proposals and dependencies, and none of them is shown. */
  window() {
    const w = this.view.renegotiation;
    const pairs = w.alliances;
    const settled = pairs.filter((a) => a.status !== "open").length;
    return h("section", { class: "room-results room-window", "data-testid": "room-renegotiation" },
      h("h2", { text: t("room.reneg_title", { n: w.round }) }),
      h("p", { class: "room-hint", text: t("room.reneg_intro", { from: w.applies_from }) }),
      h("p", { class: "room-count", role: "status", "data-testid": "room-reneg-settled", text: t("room.reneg_settled", { n: settled, total: pairs.length }) }),
      h("ul", { class: "room-grid" }, pairs.map((a) => {
        const open = a.status === "open";
        return h("li", { class: `room-item ${open ? "open" : "agreed"}`, "data-testid": `room-reneg-${a.id}` },
          h("span", { class: "icon", "aria-hidden": "true", text: open ? "◷" : "✓" }),
          h("span", { class: "room-name", text: a.firms.map((f) => this.name(f)).join(" ⇄ ") }),
          h("span", { class: "room-state", text: t(open ? "room.reneg_talking" : "room.reneg_done") }));
      })));
  }

  /** The results break: every firm ranked by its score so far, large enough to read from the back. */
  standings() {
    const v = this.view;
    const rows = Object.entries(v.scores || {}).sort((a, b) => a[1].rank - b[1].rank);
    return h("section", { class: "room-results room-standings", "data-testid": "room-standings" },
      h("h2", { text: t("room.standings", { n: v.round, rounds: v.rounds }) }),
      scrollRegion(h("table", { class: "table big" },
        h("thead", {}, h("tr", {}, ["room.rank", "room.firm", "room.score", "room.cash"].map((k) => h("th", { scope: "col", text: t(k) })))),
        h("tbody", {}, rows.map(([f, sc]) => h("tr", { "data-testid": `standing-${f}` },
          h("td", { text: String(sc.rank) }), h("th", { scope: "row", text: this.name(f) }),
          h("td", { text: num(sc.total, 2) }), h("td", { text: num(v.firms[f].cash, 0) }))))), t("room.standings", { n: v.round, rounds: v.rounds })),
      v.status.clock && v.status.clock.running ? null : h("p", { class: "room-count", text: t("room.next_soon") }));
  }

  lastResults() {
    const v = this.view;
    const alliances = Object.values(v.alliances);
    return h("section", { class: "room-results", "data-testid": "room-results" },
      h("h2", { text: t("room.after_round", { n: v.round, rounds: v.rounds }) }),
      scrollRegion(h("table", { class: "table big" },
        h("thead", {}, h("tr", {}, ["room.alliance", "room.status", "room.trust", "room.cash"].map((k) => h("th", { scope: "col", text: t(k) })))),
        h("tbody", {}, alliances.map((a) => h("tr", {},
          h("th", { scope: "row", text: a.firms.map((f) => this.name(f)).join(" ⇄ ") }),
          h("td", { text: t(`alliance.status_${a.status}`) }),
          h("td", { text: a.firms.map((f) => `${this.name(f)}: ${pct(a.trust[f])}`).join(" · ") }),
          h("td", { text: a.firms.map((f) => `${this.name(f)}: ${num(v.firms[f].cash, 0)}`).join(" · ") }))))), t("room.after_round", { n: v.round, rounds: v.rounds })));
  }
}

(function boot() {
  const creds = store.get("facilitator");
  if (!creds || !creds.token) {
    replace(topbar, h("div", { class: "brand" }, h("span", { text: t("room.title") })), languageSwitcher());
    replace(main, h("div", { class: "card narrow" }, h("h1", { text: t("room.title") }), h("p", { text: t("room.no_session") }),
      h("a", { class: "button primary", href: "/console", text: t("room.open_console") })));
    return;
  }
  window.__room = new Room(creds);
})();

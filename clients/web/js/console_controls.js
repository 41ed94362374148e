// The console's controls: the phase's buttons (each asking first where a click can cost the
// class something: console_asks.js), the clock, the bots, the end of the session.
import { h, replace } from "./dom.js";
import { t, duration } from "./i18n.js";
import { phaseLabel } from "./common.js";
import { consoleAsks } from "./console_asks.js";

const STRATEGIES = ["balanced", "internalizer", "avoider", "tit_for_tat", "random", "racing_internalizer", "watchful_avoider"];

export function renderControls(con) {
  const v = con.view;
  const phase = v.phase;
  const c = v.status.clock || {};
  const btn = (label, action, opts = {}) => h("button", { type: "button", class: opts.cls || "secondary", text: label, "data-testid": `ctl-${opts.id || action}`,
    disabled: opts.disabled, on: { click: () => con.control(action, opts.extra || {}, opts) } });
  const phaseBtns = phaseButtons(con, v, btn);
  const hasClock = c.running || c.remaining !== null && c.remaining !== undefined;
  const extendSel = h("select", { id: "extend-by", "aria-label": t("ctl.extend_by"), on: { change: () => { con.extendBy = extendSel.value; } } },
    [60, 120, 300, 600].map((s) => h("option", { value: s, selected: String(s) === String(con.extendBy || 60), text: duration(s) })));
  const clockBtns = [
    btn(t("ctl.pause"), "pause", { disabled: !c.running }),
    btn(t("ctl.resume"), "resume", { disabled: c.running || !hasClock }),
    h("span", { class: "group" }, extendSel, h("button", { type: "button", class: "secondary", text: t("ctl.extend"), disabled: !hasClock, "data-testid": "ctl-extend",
      on: { click: () => con.control("extend", { seconds: Number(extendSel.value) }) } })),
  ];
  const stratSel = h("select", { id: "bot-strategy", "aria-label": t("ctl.bot_strategy"), on: { change: () => { con.botStrategy = stratSel.value; } } },
    STRATEGIES.map((s) => h("option", { value: s, selected: s === (con.botStrategy || "balanced"), text: t(`strategy.${s}`) })));
  const empty = Object.keys(v.firms).filter((f) => !v.status.players.some((p) => p.firm === f) && !(f in (v.status.bots || {})));
  const botBtn = h("button", { type: "button", class: "secondary", "data-testid": "ctl-fill_bots", disabled: !empty.length || phase === "debrief",
    text: t("ctl.fill_bots", { n: empty.length }), on: { click: () => con.control("fill_bots", { strategy: stratSel.value }) } });
  const focused = document.activeElement && con.controls.contains(document.activeElement) ? (document.activeElement.dataset.testid || document.activeElement.id) : null;
  replace(con.controls,
    h("p", { class: "phase-line", "data-testid": "phase-line", text: phaseLabel(phase, v.status.current_round, v.rounds) }),
    phase === "break" ? h("p", { class: "hint", "data-testid": "break-line",
      text: t("ctl.break_line", { n: v.round, clock: hasClock ? t("ctl.break_clock") : "" }) }) : null,
    h("div", { class: "actions" }, phaseBtns),
    h("h3", { text: t("ctl.clock") }), h("div", { class: "actions" }, clockBtns),
    h("h3", { text: t("ctl.bots") }), h("div", { class: "actions" }, stratSel, botBtn),
    h("h3", { text: t("ctl.session") }),
    h("div", { class: "actions" }, btn(t("ctl.end_session"), "end_session", { cls: "danger", disabled: v.session.status !== "live",
      confirm: { title: t("ctl.end_session_title"), body: t("ctl.end_session_body"), ok: t("ctl.end_session") } })));
  if (focused) {
    const el = con.controls.querySelector(`[data-testid="${focused}"]`) || document.getElementById(focused);
    if (el && !el.disabled) el.focus();
  }
}

/** The buttons that move the session on from its phase, and the undo of the last close. */
function phaseButtons(con, v, btn) {
  const phase = v.phase;
  const o = v.session.options;
  const phaseBtns = [];
  const ask = consoleAsks(con);
  if (phase === "lobby") {
    phaseBtns.push(o.practice_round ? btn(t("ctl.start_practice"), "start", { cls: "primary" }) : btn(o.selection ? t("ctl.start_selection") : o.negotiation ? t("ctl.start_negotiation") : t("ctl.start_rounds"),
                       "start", { cls: "primary" }));
    phaseBtns.push(btn(t("ctl.pair"), "pair", { id: "pair", confirm: ask.pairInLobby }));
  } else if (phase === "practice") {  // round 0: ends by itself once all submitted; never starts the real game alone
    const pr = v.status.practice || {};
    if (!pr.closed) phaseBtns.push(btn(t("ctl.end_practice"), "end_round", { id: "end_practice" }));
    phaseBtns.push(btn(t("ctl.start_real"), "start", { cls: "primary", id: "start_real" }));
  } else if (phase === "selection") {
    phaseBtns.push(btn(t("ctl.end_selection"), "advance", { cls: "primary", id: "advance", confirm: ask.endSelection }));
  } else if (phase === "negotiation") {
    phaseBtns.push(btn(t("ctl.pair_now"), "pair", { id: "pair", confirm: ask.pairOpen }));
    phaseBtns.push(btn(t("ctl.end_negotiation"), "advance", { cls: "primary", id: "advance", confirm: ask.endNegotiation }));
  } else if (phase === "execution") {
    phaseBtns.push(btn(t("ctl.end_round"), "end_round", { cls: "primary", confirm: ask.endRound }));
    phaseBtns.push(btn(t("ctl.to_debrief"), "advance", { id: "advance", confirm: ask.toDebrief }));
  } else if (phase === "renegotiation") {
    phaseBtns.push(btn(t("ctl.end_renegotiation"), "end_renegotiation", { cls: "primary", confirm: ask.endRenegotiation }));
  } else if (phase === "break") {
    phaseBtns.push(btn(t("ctl.next_round"), "next_round", { cls: "primary" }));
    phaseBtns.push(btn(t("ctl.to_debrief"), "advance", { id: "advance", confirm: ask.toDebrief }));
  }
  // undo of a close: only while the server says it is possible (nothing decided since)
  if (v.status.reopen) phaseBtns.push(btn(t("ctl.reopen_round"), "reopen_round", { confirm: ask.reopenRound }));
  const reopenNegs = v.status.reopen_negotiations || [];
  for (const aid of reopenNegs) {
    // one button per negotiation the close ended; with several, each names its two firms
    const label = reopenNegs.length > 1 ? t("ctl.reopen_negotiation_pair", { firms: con.negFirms(aid) }) : t("ctl.reopen_negotiation");
    phaseBtns.push(btn(label, "reopen_negotiation", { id: `reopen_negotiation-${aid}`, extra: { alliance_id: aid },
                                                       confirm: () => ask.reopenNegotiation(aid) }));
  }
  return phaseBtns;
}

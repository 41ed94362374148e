// What the console asks before a control that ends something (a negotiation, a round, the
// session): the dialog's title, body and buttons, from the view at the moment of the click.
import { t } from "./i18n.js";

/** What each control that ends something asks first, computed when it is clicked (the
 *  view moves on between a render and a click): exactly what will happen, or null. */
export function consoleAsks(con) {
  const v = () => con.view;
  const open = () => Object.values(v().negotiations || {}).filter((n) => n.status === "open");
  const list = (items) => items.slice(0, 6).join(", ") + (items.length > 6 ? t("ctl.and_more", { n: items.length - 6 }) : "");
  const names = (ids) => list(ids.map((f) => con.firmName(f)));
  const pairs = (negs) => list(negs.map((n) => n.firms.map((f) => con.firmName(f)).join(" ⇄ ")));
  return {
    pairInLobby: () => ({ title: t("ctl.pair_title"), body: t("ctl.pair_body"), ok: t("ctl.pair") }),
    endSelection: () => ({ title: t("ctl.end_selection_title"),
                           body: v().session.options.negotiation ? t("ctl.end_selection_body_negotiate") : t("ctl.end_selection_body_defaults"),
                           ok: t("ctl.end_selection") }),
    pairOpen: () => {
      const n = open();
      return n.length ? { title: t("ctl.pair_now_title", { k: n.length }), body: t("ctl.pair_now_body", { firms: pairs(n) }), ok: t("ctl.pair_now") } : null;
    },
    endNegotiation: () => {
      const n = open();
      if (!n.length) return null;
      return { title: t("ctl.end_negotiation_title", { k: n.length }),
               body: [t("ctl.end_negotiation_body", { firms: pairs(n) }), t("ctl.end_negotiation_choice")],
               choices: [{ value: "pair", text: t("ctl.pair_now"), cls: "primary", testid: "choice-pair" },
                         { value: "advance", text: t("ctl.end_negotiation_without"), cls: "danger", testid: "confirm-ok" }] };
    },
    endRound: () => {
      const waiting = v().status.waiting_for || [];
      if (!waiting.length) return null;
      return { title: t("ctl.end_round_title", { n: v().status.current_round }),
               body: [t("ctl.end_round_body", { k: waiting.length, n: Object.keys(v().firms).length, firms: names(waiting) }), t("ctl.end_round_played")],
               ok: t("ctl.end_round") };
    },
    reopenNegotiation: (aid) => ({ title: t("ctl.reopen_negotiation_title", { firms: con.negFirms(aid) }),
                                   body: [t("ctl.reopen_negotiation_body", { firms: con.negFirms(aid) }),
                                          t(v().phase === "negotiation" ? "ctl.reopen_negotiation_still" : "ctl.reopen_negotiation_back")],
                                   ok: t("ctl.reopen_negotiation") }),
    endRenegotiation: () => {
      const w = v().renegotiation;
      const n = w ? w.alliances.filter((p) => p.status === "open") : [];
      return { title: t("ctl.end_renegotiation_title"),
               body: [n.length ? t("ctl.end_renegotiation_body", { k: n.length, firms: pairs(n) }) : t("ctl.end_renegotiation_none"),
                      t("ctl.end_renegotiation_next")],
               ok: t("ctl.end_renegotiation") };
    },
    reopenRound: () => ({ title: t("ctl.reopen_round_title", { n: v().status.reopen.round }),
                          body: t("ctl.reopen_round_body", { n: v().status.reopen.round }), ok: t("ctl.reopen_round") }),
    toDebrief: () => ({ title: t("ctl.to_debrief_title"),
                        body: t("ctl.to_debrief_body", { from: v().status.current_round || v().round + 1, to: v().rounds }), ok: t("ctl.to_debrief") }),
  };
}

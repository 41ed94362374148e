// The debrief's renegotiation windows of one alliance (issue 16): for each window, who
// proposed what (told as what it changes from the terms in force), the answers, and
// whether the terms changed and from which round, or were kept and why. The data is the
// history's `renegotiations` (game_rules/renegotiation_story.py), after the game: the
// facilitator's debrief, where the terms are no longer secret.
import { h } from "./dom.js";
import { t, num, pct } from "./i18n.js";

const MOVE_KEY = { offer: "debrief.reneg_proposed", counter: "debrief.reneg_countered", accept: "debrief.reneg_accepted",
  reject: "debrief.reneg_rejected", walk_away: "debrief.reneg_walked" };

function value(field, v) {
  if (v === null || v === undefined) return "–";
  if (field === "split" || field === "exit_trust_below") return pct(v);
  if (field === "release") return t(v === "upfront" ? "terms.release_upfront" : "terms.release_staged");
  if (field === "exit_on_breach") return t(v ? "debrief.reneg_yes" : "debrief.reneg_no");
  if (Array.isArray(v)) return v.join(", ");
  return typeof v === "number" ? num(v, Number.isInteger(v) ? 0 : 1) : String(v);
}

/** One change as a phrase: "Westward's share 50% → 56%". */
function change(c, name) {
  return t(`debrief.reneg_${c.field}`, { firm: c.firm ? name(c.firm) : "", before: value(c.field, c.before), after: value(c.field, c.after) });
}

export function changesText(changes, name) {
  return changes.length ? changes.map((c) => change(c, name)).join("; ") : t("debrief.reneg_no_change");
}

function outcome(w) {
  if (w.outcome === "renegotiated") return t("debrief.reneg_changed", { n: w.from_round });
  if (w.outcome === "kept") return t("debrief.reneg_kept", { reason: t(`debrief.reneg_reason_${w.reason || "settled"}`) });
  return t("debrief.reneg_still_open");
}

/** The section for alliance `aid`, or null when it was in no window. */
export function windowsBlock(aid, windows, name) {
  if (!windows || !windows.length) return null;
  return h("section", { class: "reneg-windows", "data-testid": `debrief-reneg-${aid}` },
    h("h3", { text: t("debrief.reneg_title") }),
    h("ol", { class: "reneg-list" }, windows.map((w) => h("li", { "data-testid": `debrief-reneg-${aid}-${w.round}`, "data-outcome": w.outcome },
      h("p", {}, h("strong", { text: t("debrief.reneg_window", { n: w.round, from: w.applies_from }) })),
      w.moves.length
        ? h("ul", { class: "reneg-moves" }, w.moves.map((m) => h("li", {
          text: t(MOVE_KEY[m.action] || "debrief.reneg_proposed", { firm: name(m.by), changes: m.changes ? changesText(m.changes, name) : "" }) })))
        : h("p", { class: "muted", text: t("debrief.reneg_nothing") }),
      h("p", { class: `reneg-outcome ${w.outcome}` }, h("strong", { text: outcome(w) }),
        w.outcome === "renegotiated" ? ` ${changesText(w.changes, name)}` : "")))));
}

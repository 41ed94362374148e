// The practice round (session option `practice_round`): round 0 against an imagined
// partner, before the real game. The round form is the real one, fed with the practice
// game's alliance; nothing of it counts or carries over (game_rules/session/practice.py).
import { h } from "./dom.js";
import { t, num } from "./i18n.js";
import { DecisionForm } from "./decision.js";

/** The player's view as the round form needs it for the practice round. */
export function practiceFormView(v) {
  const pr = v.practice;
  return { ...v, alliances: pr.alliances, budget: pr.budget ?? v.budget, current_round: 0, draft: {},
           submitted: pr.submitted, surveys: [] };
}

/** The Round tab during the practice round: a clear banner, then the form or the result. */
export function practicePanel(v, { socket, nameOf }) {
  const pr = v.practice;
  const banner = h("section", { class: "card practice-banner", role: "note", "data-testid": "practice-banner" },
    h("h2", { class: "section-title", text: t("practice.title") }), h("p", { text: t("practice.lead") }));
  if (pr.result) return { el: [banner, practiceResult(pr)], form: null };
  const form = new DecisionForm({ socket, view: practiceFormView(v), nameOf });
  const status = h("p", { class: "round-status", role: "status", "data-testid": "practice-status",
    text: pr.submitted ? t("practice.submitted", { name: nameOf(pr.submitted.by) }) : t("practice.decide") });
  return { el: [banner, status, form.el], form, status };
}

function practiceResult(pr) {
  const r = pr.result;
  const learned = Object.values(r.learned || {}).reduce((a, b) => a + b, 0);
  const row = (label, value) => h("tr", {}, h("th", { scope: "row", text: label }), h("td", { text: value }));
  return h("section", { class: "card practice-result", "data-testid": "practice-result" },
    h("h3", { text: t("practice.result_title") }),
    pr.source === "default" ? h("p", { class: "hint", text: t("practice.defaulted") }) : null,
    h("table", { class: "table" }, h("tbody", {},
      row(t("practice.position"), `${num(r.position_before, 1)} → ${num(r.position_after, 1)}`),
      row(t("practice.cash"), num(r.cash, 1)),
      row(t("practice.joint_value"), `${num(r.joint_value, 1)} (${t("practice.yours")}: ${num(r.value_received, 1)})`),
      row(t("practice.learned"), num(learned, 2)))),
    h("p", { class: "hint", "data-testid": "practice-wait", text: t("practice.wait") }));
}

// The console's boards: the negotiations (or the partner-selection board) and the results
// after each round. Functions of the console (`con`: its view, its elements, firmName).
import { h, replace } from "./dom.js";
import { t, num, pct } from "./i18n.js";
import { scrollRegion } from "./scrollregion.js";
import { renegotiationTable } from "./renegotiation.js";

/** The negotiations (or, in partner selection, the selection board) into `con.negs`. */
export function renderNegs(con) {
  const v = con.view;
  if (v.phase === "selection" && v.selection) { replace(con.negs, selectionBoard(con, v.selection)); return; }
  const list = Object.values(v.negotiations || {});
  const reneg = v.renegotiation ? renegotiationTable(v.renegotiation, (f) => con.firmName(f)) : null;
  if (!list.length) { replace(con.negs, reneg || h("p", { class: "muted", text: t("console.no_negotiations") })); return; }
  replace(con.negs, reneg, scrollRegion(h("table", { class: "table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("console.negotiation") }), h("th", { scope: "col", text: t("console.status") }),
      h("th", { scope: "col", text: t("console.offers") }), h("th", { scope: "col", text: t("console.on_table") }))),
    h("tbody", {}, list.map((n) => {
      const standing = n.standing ? n.offers.find((o) => o.n === n.standing) : null;
      // a negotiation that failed but whose copy has its alliance: the default terms were signed
      const defaults = n.status === "failed" && (v.alliances || {})[n.id];
      return h("tr", { "data-testid": `neg-${n.id}` },
        h("th", { scope: "row", text: n.firms.map((f) => con.firmName(f)).join(" ⇄ ") }),
        h("td", { text: defaults ? t("console.neg_defaults_signed")
          : t(`console.neg_${n.status}`) + (n.outcome_reason ? ` (${t(`console.neg_reason_${n.outcome_reason}`)})` : "") }),
        h("td", { text: String(n.offers.length) }),
        h("td", { text: standing ? t("console.offer_by", { n: standing.n, firm: con.firmName(standing.by), split: pct(standing.terms.split[standing.by]) }) : "–" }));
    }))), t("console.negotiations")));
}

/** The partner-selection board: every proposal and what closing it now would pair. */
function selectionBoard(con, b) {
  const name = (f) => con.firmName(f);
  const rows = (b.proposals || []).map((p) => h("tr", { "data-testid": `sel-proposal-${p.id}` },
    h("th", { scope: "row", text: `${name(p.sender)} → ${name(p.receiver)}` }),
    h("td", { text: t(`console.sel_${p.status}`) }),
    h("td", { text: p.introduced_by ? name(p.introduced_by) : "–" })));
  const pairs = (b.pairings || []).map((p) => h("li", { text: p.firms.map(name).join(" ⇄ ") }));
  return h("div", { "data-testid": "selection-board" },
    h("h3", { text: t("console.sel_title") }),
    rows.length ? scrollRegion(h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["console.sel_proposal", "console.status", "console.sel_introduced_by"].map((k) => h("th", { scope: "col", text: t(k) })))),
      h("tbody", {}, rows)), t("console.sel_title")) : h("p", { class: "muted", text: t("console.sel_none") }),
    h("p", { text: t("console.sel_pairings") }),
    pairs.length ? h("ul", { class: "breakdown", "data-testid": "selection-pairings" }, pairs) : h("p", { class: "muted", text: t("console.sel_no_pairings") }));
}

/** The standings after the last round, and every alliance's trust, into `con.results`. */
export function renderResults(con) {
  const v = con.view;
  if (!v.round) { replace(con.results, h("p", { class: "muted", text: t("console.no_results") })); return; }
  const firms = Object.values(v.firms).sort((a, b) => (v.scores[a.id].rank - v.scores[b.id].rank));
  replace(con.results,
    h("p", { text: t("console.after_round", { n: v.round, rounds: v.rounds }) }),
    scrollRegion(h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["console.rank", "console.firm", "console.cash", "console.position", "console.internal", "console.external", "console.total"].map((k) => h("th", { scope: "col", text: t(k) })))),
      h("tbody", {}, firms.map((f) => {
        const s = v.scores[f.id];
        return h("tr", {}, h("td", { text: String(s.rank) }), h("th", { scope: "row", text: f.name }), h("td", { text: num(f.cash, 1) }),
          h("td", { text: num(v.positions[f.id], 1) }), h("td", { text: pct(s.internal_gain, 1) }), h("td", { text: pct(s.external_gain, 1) }),
          h("td", { text: num(s.total, 3) }));
      }))), t("console.results")),
    Object.values(v.alliances).length ? h("ul", { class: "breakdown" }, Object.values(v.alliances).map((a) =>
      h("li", { text: t("console.alliance_line", { firms: a.firms.map((f) => con.firmName(f)).join(" ⇄ "), status: t(`alliance.status_${a.status}`),
        trust: a.firms.map((f) => `${con.firmName(f)} ${pct(a.trust[f])}`).join(", ") }) }))) : null);
}

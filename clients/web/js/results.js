// A firm's results: what happened in a round and why, with small charts over the rounds.
import { h, clear } from "./dom.js";
import { t, num, pct, signed } from "./i18n.js";
import { chartFigure, lineChart, barChart, destroyAll } from "./charts.js";
import { reasonText } from "./common.js";
import { scrollRegion } from "./scrollregion.js";

function byRound(history) {
  const out = new Map();
  for (const e of history || []) {
    if (typeof e.round !== "number") continue;
    if (!out.has(e.round)) out.set(e.round, []);
    out.get(e.round).push(e);
  }
  return out;
}

export function firmResults(history, firmId) {
  return (history || []).filter((e) => e.type === "firm_result" && e.firm === firmId).sort((a, b) => a.round - b.round);
}

function positionOf(view, competence) {
  let p = 0;
  for (const d of view.domains) p += d.weight * (competence[d.id] || 0);
  return p;
}

export class ResultsPanel {
  constructor() {
    this.el = h("section", { class: "results", "data-testid": "results" });
    this.charts = [];
    this.selected = null;
    this.shownRounds = 0;
  }

  update(view) {
    this.view = view;
    const me = view.firm.id;
    const results = firmResults(view.history, me);
    const last = results.length ? results[results.length - 1].round : 0;
    if (this.selected === null || this.selected === this.shownRounds) this.selected = last;
    this.shownRounds = last;
    this.render(results);
  }

  render(results) {
    const view = this.view;
    destroyAll(this.charts);
    clear(this.el);
    this.el.append(h("h2", { class: "section-title", text: t("res.title") }));
    if (!results.length) {
      this.el.append(h("p", { class: "muted", text: t("res.none_yet") }));
      this.el.append(this.estimates());
      return;
    }
    const select = h("select", { id: "res-round", "data-testid": "results-round", on: { change: () => { this.selected = Number(select.value); this.render(results); } } },
      results.slice().reverse().map((r) => h("option", { value: r.round, selected: r.round === this.selected, text: t("res.round_n", { n: r.round }) })));
    this.el.append(h("div", { class: "field inline" }, h("label", { for: "res-round", text: t("res.show_round") }), select));
    this.el.append(this.roundDetail(results));
    this.el.append(this.estimates());
    this.el.append(this.chartsBlock(results));
  }

  roundDetail(results) {
    const view = this.view;
    const me = view.firm.id;
    const dn = Object.fromEntries(view.domains.map((d) => [d.id, d.name]));
    const r = results.find((x) => x.round === this.selected) || results[results.length - 1];
    const prev = results.find((x) => x.round === r.round - 1);
    const events = byRound(view.history).get(r.round) || [];
    const partnerName = (aid) => {
      const a = (view.alliances || []).find((x) => x.id === aid);
      return a ? a.partner.name : aid;
    };
    const cards = h("div", { class: "cards", "data-testid": "round-detail" });
    // cash
    const thisRound = r.cash_from_value + r.cash_from_market + r.cash_unspent + r.cash_penalties;
    cards.append(h("section", { class: "card" },
      h("h3", { text: t("res.cash") }),
      h("p", { class: "big-number", text: num(r.cash, 0) }),
      h("p", { class: "muted", text: t("res.cash_round", { n: signed(thisRound, 0) }) }),
      h("ul", { class: "breakdown" },
        h("li", { text: t("res.cash_value", { n: num(r.cash_from_value, 0) }) }),
        h("li", { text: t("res.cash_market", { n: num(r.cash_from_market, 0) }) }),
        h("li", { text: t("res.cash_unspent", { n: num(r.cash_unspent, 0) }) }),
        r.cash_penalties ? h("li", { text: t("res.cash_penalties", { n: signed(r.cash_penalties, 0) }) }) : null)));
    // value created and captured
    const jv = events.filter((e) => e.type === "joint_value");
    const valueCard = h("section", { class: "card", "data-testid": "value-card" }, h("h3", { text: t("res.value") }));
    if (!jv.length) valueCard.append(h("p", { class: "muted", text: t("res.no_alliance_value") }));
    for (const e of jv) {
      const mine = (e.shares || {})[me] || 0;
      valueCard.append(
        h("p", { class: "big-number", text: num(e.value, 0) }),
        h("p", { text: t("res.value_split", { mine: num(mine, 0), share: pct(e.value ? mine / e.value : 0), partner: partnerName(e.alliance) }) }),
        h("p", { class: "hint", text: t("res.value_why", { released: pct(e.mean_released ?? 0) }) }));
    }
    cards.append(valueCard);
    // position
    const startPos = positionOf(view, view.firm.start_competence);
    const before = prev ? prev.position : startPos;
    const rr = events.find((e) => e.type === "round_resolved");
    const rrPrev = prev ? (byRound(view.history).get(prev.round) || []).find((e) => e.type === "round_resolved") : null;
    cards.append(h("section", { class: "card", "data-testid": "position-card" },
      h("h3", { text: t("res.position") }),
      h("p", { class: "big-number", text: num(r.position, 1) }),
      h("p", { text: t("res.position_change", { n: signed(r.position - before, 2) }) }),
      this.positionParts(r, r.position - before),
      rr ? h("p", { class: "muted", text: rrPrev ? t("res.rival_growth", { n: num(rr.rival_position, 1), d: signed(rr.rival_position - rrPrev.rival_position, 2) })
        : t("res.rival_position", { n: num(rr.rival_position, 1) }) }) : null));
    // learned / taught / developed
    const list = (m, empty, fmt = (v) => signed(v, 2)) => {
      const items = Object.entries(m || {}).filter(([, v]) => v > 0.005);
      return items.length ? h("ul", { class: "breakdown" }, items.map(([k, v]) => h("li", { text: `${dn[k] || k}: ${fmt(v)}` })))
        : h("p", { class: "muted", text: empty });
    };
    cards.append(h("section", { class: "card", "data-testid": "learned-card" },
      h("h3", { text: t("res.learned") }), h("p", { class: "hint", text: t("res.learned_hint") }), list(r.learned, t("res.learned_none")),
      h("h4", { text: t("res.exposure") }),
      h("p", { class: "hint", text: t("res.exposure_hint") }),
      list(r.exposure, t("res.exposure_none"), (v) => num(v, 2))));
    cards.append(h("section", { class: "card" },
      h("h3", { text: t("res.developed") }), list(r.developed, t("res.developed_none")),
      h("h4", { text: t("res.taught") }), h("p", { class: "hint", text: t("res.taught_hint") }), list(r.taught, t("res.taught_none"))));
    // trust and relationship events
    const rel = h("section", { class: "card", "data-testid": "trust-card" }, h("h3", { text: t("res.trust") }));
    for (const [aid, v] of Object.entries(r.trust || {})) {
      const tc = events.find((e) => e.type === "trust_changed" && e.alliance === aid && e.firm === me);
      rel.append(h("p", {}, h("strong", { text: t("res.trust_in", { partner: partnerName(aid) }) }), " ", num(v * 100, 0), "/100",
        tc ? h("span", { class: "muted", text: ` (${signed((tc.after - tc.before) * 100, 0)})` }) : null));
      if (tc) rel.append(h("ul", { class: "breakdown" }, tc.reasons.map((x) => h("li", { text: reasonText(x) }))));
    }
    if (!Object.keys(r.trust || {}).length) rel.append(h("p", { class: "muted", text: t("res.no_alliance") }));
    const happenings = [];
    for (const e of events) {
      const who = e.firm === me ? t("res.you") : partnerName(e.alliance);
      if (e.type === "tranche_released") happenings.push(t("res.ev_released", { who, domain: dn[e.domain] || e.domain, t: e.released, n: e.of }));
      else if (e.type === "tranche_withheld") happenings.push(t("res.ev_withheld", { who, domain: dn[e.domain] || e.domain }));
      else if (e.type === "alliance_ended") happenings.push(t(`res.ev_ended_${e.reason}`, { partner: partnerName(e.alliance), penalty: num(e.penalty || 0, 1) }));
      else if (e.type === "default_applied") happenings.push(t("res.ev_default"));
    }
    if (happenings.length) rel.append(h("h4", { text: t("res.events") }), h("ul", { class: "breakdown", "data-testid": "events-list" }, happenings.map((x) => h("li", { text: x }))));
    cards.append(rel);
    return cards;
  }

  /** The change of position taken apart: each competence change weighted by its market
   *  weight, as the position is (own development, learning, learning by teaching); what
   *  is left is the fading every skill suffers each round and, under model 3, what the firm
   *  learned from a faster partner that went out of date (docs/model.md section 4). */
  positionParts(r, change) {
    const w = Object.fromEntries(this.view.domains.map((d) => [d.id, d.weight]));
    const weighted = (m) => Object.entries(m || {}).reduce((s, [k, v]) => s + (w[k] || 0) * v, 0);
    const dev = weighted(r.developed), learned = weighted(r.learned), taught = weighted(r.taught);
    const fade = change - dev - learned - taught;
    const part = (key, v) => h("li", { text: t(key, { n: signed(v, 2) }) });
    return h("ul", { class: "breakdown", "data-testid": "position-parts" },
      part("res.part_developed", dev), part("res.part_learned", learned),
      taught > 0.005 ? part("res.part_taught", taught) : null, part("res.part_fade", fade));
  }

  estimates() {
    const view = this.view;
    const dn = Object.fromEntries(view.domains.map((d) => [d.id, d.name]));
    const box = h("div", { class: "cards" });
    for (const a of view.alliances || []) {
      const rows = view.domains.map((d) => h("tr", {},
        h("th", { scope: "row", text: dn[d.id] }),
        h("td", { text: num(view.firm.competence[d.id], 1) }),
        h("td", { text: num(a.partner_estimate[d.id], 1) }),
        h("td", { text: num(view.rival.competence[d.id], 1) })));
      box.append(h("section", { class: "card wide", "data-testid": "estimates-card" },
        h("h3", { text: t("res.estimates_title", { partner: a.partner.name }) }),
        h("p", { class: "hint", text: t("res.estimates_hint") }),
        scrollRegion(h("table", { class: "table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("res.domain") }), h("th", { scope: "col", text: t("res.us") }),
            h("th", { scope: "col", text: t("res.partner_est", { partner: a.partner.name }) }), h("th", { scope: "col", text: t("res.rival") }))),
          h("tbody", {}, rows)), t("res.estimates_title", { partner: a.partner.name })),
        h("p", {}, h("strong", { text: t("res.dependency") }), " ", pct(a.dependency, 0), " ",
          h("span", { class: "hint", text: t("res.dependency_hint") })),
        h("p", {}, h("strong", { text: t("res.status") }), " ", t(`alliance.status_${a.status}`))));
    }
    return box;
  }

  chartsBlock(results) {
    const view = this.view;
    const labels = results.map((r) => t("res.round_short", { n: r.round }));
    const byR = byRound(view.history);
    const grid = h("div", { class: "chart-grid" });
    // position vs rival
    const pos = chartFigure({ title: t("chart.position"), describe: t("chart.position_desc"), testid: "chart-position" });
    grid.append(pos.fig);
    this.charts.push(lineChart(pos.canvas, {
      labels,
      series: [
        { label: t("chart.us"), data: results.map((r) => r.position) },
        { label: t("chart.rival"), data: results.map((r) => ((byR.get(r.round) || []).find((e) => e.type === "round_resolved") || {}).rival_position ?? null) },
      ],
      yTitle: t("chart.position_axis"),
    }));
    // cash per round
    const cash = chartFigure({ title: t("chart.cash"), describe: t("chart.cash_desc"), testid: "chart-cash" });
    grid.append(cash.fig);
    this.charts.push(barChart(cash.canvas, {
      labels, stacked: true,
      series: [
        { label: t("chart.cash_value"), data: results.map((r) => r.cash_from_value) },
        { label: t("chart.cash_market"), data: results.map((r) => r.cash_from_market) },
        { label: t("chart.cash_unspent"), data: results.map((r) => r.cash_unspent) },
        { label: t("chart.cash_penalties"), data: results.map((r) => r.cash_penalties) },
      ],
      yTitle: t("chart.points"),
    }));
    // trust
    const aids = [...new Set(results.flatMap((r) => Object.keys(r.trust || {})))];
    if (aids.length) {
      const tr = chartFigure({ title: t("chart.trust"), describe: t("chart.trust_desc"), testid: "chart-trust" });
      grid.append(tr.fig);
      this.charts.push(lineChart(tr.canvas, {
        labels, yMin: 0, yMax: 1, tickFormat: (v) => pct(v),
        series: aids.map((aid) => {
          const a = (view.alliances || []).find((x) => x.id === aid);
          return { label: t("chart.trust_in", { partner: a ? a.partner.name : aid }), data: results.map((r) => (r.trust || {})[aid] ?? null) };
        }),
      }));
      // joint value and our share
      const jv = chartFigure({ title: t("chart.value"), describe: t("chart.value_desc"), testid: "chart-value" });
      grid.append(jv.fig);
      const me = view.firm.id;
      const jvOf = (r) => (byR.get(r.round) || []).filter((e) => e.type === "joint_value");
      this.charts.push(barChart(jv.canvas, {
        labels,
        series: [
          { label: t("chart.value_joint"), data: results.map((r) => jvOf(r).reduce((s, e) => s + e.value, 0)) },
          { label: t("chart.value_ours"), data: results.map((r) => jvOf(r).reduce((s, e) => s + ((e.shares || {})[me] || 0), 0)) },
        ],
        yTitle: t("chart.points"),
      }));
    }
    return h("section", { class: "charts" }, h("h3", { text: t("res.over_rounds") }), grid);
  }
}

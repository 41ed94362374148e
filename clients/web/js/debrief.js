// The debrief: per alliance the learning race, joint value and split, trust, dependency,
// releases and breaches over the rounds; for the class a scatter of internal against
// external gain per firm (colour AND shape = the strategy the firm actually played) and
// the ranking with the parts of each score.
import { h, clear } from "./dom.js";
import { t, num, pct, signedPct } from "./i18n.js";
import { prose } from "./prose.js";
import { scrollRegion } from "./scrollregion.js";
import { windowsBlock } from "./debriefwindows.js";
import { chartFigure, lineChart, barChart, scatterChart, drawChart, destroyAll, COLORS } from "./charts.js";

// one colour AND one shape per strategy (the icon is the same shape, for tables and text)
export const STRATEGY_STYLE = {
  internalizer: { color: COLORS[1], shape: "triangle" },
  balanced: { color: COLORS[0], shape: "rect" },
  avoider: { color: COLORS[2], shape: "circle" },
};
export const STRATEGY_ICON = { internalizer: "▲", balanced: "■", avoider: "●" };

/**
 * The strategy a firm actually played, from its observed decisions: mean share of the
 * budget spent on absorbing above 30% -> internalizer; no absorbing at all -> avoider;
 * otherwise balanced. Also returns the mean absorb share and mean reveal.
 */
export function classify(decisions, budget, threshold = 0.3) {
  if (!decisions.length) return { strategy: "balanced", absorb: 0, reveal: 0, rounds: 0 };
  let absorb = 0, reveal = 0, total = 0;
  for (const d of decisions) {
    const a = Object.values(d.absorb || {}).reduce((s, x) => s + x, 0);
    absorb += a / budget;
    total += a;
    const r = Object.values(d.reveal || {});
    reveal += r.length ? r.reduce((s, x) => s + x, 0) / r.length : 0;
  }
  const share = absorb / decisions.length;
  const strategy = total <= 0 ? "avoider" : share > threshold ? "internalizer" : "balanced";
  return { strategy, absorb: share, reveal: reveal / decisions.length, rounds: decisions.length };
}

function firmResultsByRound(history) {
  const out = {};  // firm -> round -> firm_result
  for (const r of history.rounds) for (const e of r.events) {
    if (e.type !== "firm_result") continue;
    (out[e.firm] = out[e.firm] || {})[r.round] = e;
  }
  return out;
}

export class Debrief {
  constructor() {
    this.el = h("div", { class: "debrief", "data-testid": "debrief" });
    this.charts = [];
  }

  render(hist) {
    destroyAll(this.charts);
    clear(this.el);
    this.hist = hist;
    const rounds = hist.rounds.map((r) => r.round);
    const fr = firmResultsByRound(hist);
    const firms = Object.values(hist.firms).sort((a, b) => a.copy - b.copy);
    // strategies
    this.strategy = {};
    for (const f of firms) {
      const ds = hist.rounds.map((r) => r.decisions[f.id]).filter(Boolean);
      this.strategy[f.id] = classify(ds, hist.budget, hist.convergent_share ?? 0.3);
    }
    this.el.append(h("h1", { class: "section-title", text: t("debrief.title", { title: hist.session.title }) }),
      h("p", { class: "muted", text: t("debrief.subtitle", { n: rounds.length, firms: firms.length }) }));
    if (!rounds.length) {
      this.el.append(h("p", { class: "muted", text: t("debrief.no_rounds") }));
      return;
    }
    this.el.append(this.classBlock(firms));
    for (const a of Object.values(hist.alliances).sort((x, y) => x.id.localeCompare(y.id))) this.el.append(this.allianceBlock(a, rounds, fr));
    if ((hist.debrief_text || "").trim()) {
      this.el.append(h("section", { class: "card wide" }, h("h2", { text: t("debrief.questions") }), prose(hist.debrief_text, { "data-testid": "debrief-questions" })));
    }
  }

  name(fid) {
    return (this.hist.firms[fid] || {}).name || fid;
  }

  classBlock(firms) {
    const hist = this.hist;
    const sc = hist.scores;
    const block = h("section", { class: "card wide", "data-testid": "debrief-class" }, h("h2", { text: t("debrief.class_title") }));
    const groups = ["internalizer", "balanced", "avoider"].map((s) => ({
      label: t(`strategy.${s}`), ...STRATEGY_STYLE[s],
      points: firms.filter((f) => this.strategy[f.id].strategy === s).map((f) => ({ x: sc[f.id].internal_gain, y: sc[f.id].external_gain, name: f.name })),
    })).filter((g) => g.points.length);
    const fig = chartFigure({ title: t("debrief.scatter"), describe: t("debrief.scatter_desc"), height: 320, testid: "chart-scatter" });
    block.append(fig.fig);
    this.charts.push(scatterChart(fig.canvas, { groups, xTitle: t("debrief.internal_axis"), yTitle: t("debrief.external_axis"), tickFormat: (v) => pct(v, 1) }));
    block.append(h("p", { class: "hint", text: t("debrief.classify_rule", { pct: pct(hist.convergent_share ?? 0.3) }) }));
    // ranking
    const ranked = firms.slice().sort((a, b) => sc[a.id].rank - sc[b.id].rank);
    block.append(h("h3", { text: t("debrief.ranking") }), scrollRegion(h("table", { class: "table", "data-testid": "ranking" },
      h("thead", {}, h("tr", {}, ["debrief.rank", "debrief.firm", "debrief.strategy", "debrief.internal", "debrief.external", "debrief.cash", "debrief.freedom", "debrief.total"]
        .map((k) => h("th", { scope: "col", text: t(k) })))),
      h("tbody", {}, ranked.map((f) => {
        const s = sc[f.id];
        const st = this.strategy[f.id];
        const part = (v, p) => h("td", {}, h("span", { text: v }), h("small", { class: "part", text: ` (${signedPart(p)})` }));
        return h("tr", { "data-testid": `rank-${f.id}` },
          h("td", { text: String(s.rank) }),
          h("th", { scope: "row", text: f.name }),
          h("td", {}, h("span", { class: `strategy s-${st.strategy}`, "aria-hidden": "true", text: `${STRATEGY_ICON[st.strategy]} ` }),
            t(`strategy.${st.strategy}`), h("small", { class: "part", text: ` ${t("debrief.absorb_reveal", { absorb: pct(st.absorb), reveal: pct(st.reveal) })}` })),
          part(signedPct(s.internal_gain, 1), s.parts.internal),
          part(signedPct(s.external_gain, 1), s.parts.external),
          part(num(s.cash, 1), s.parts.cash),
          part(pct(s.freedom), s.parts.freedom),
          h("td", {}, h("strong", { text: num(s.total, 3) })));
      }))), t("debrief.ranking")),
      h("p", { class: "hint", text: t("debrief.parts_hint") }));
    const grads = (hist.graduations || []).filter((g) => g.graduated);
    if (grads.length) {
      block.append(h("p", { "data-testid": "debrief-graduates" }, t("debrief.graduates", {
        list: grads.map((g) => t("debrief.graduate_item", { firm: this.name(g.firm), round: g.round })).join(", ") })));
    }
    return block;
  }

  allianceBlock(a, rounds, fr) {
    const hist = this.hist;
    const [f1, f2] = a.firms;
    const labels = [t("debrief.start"), ...rounds.map((r) => t("res.round_short", { n: r }))];
    const block = h("section", { class: "card wide alliance-block", "data-testid": `debrief-${a.id}` },
      h("h2", { text: t("debrief.alliance_title", { a: this.name(f1), b: this.name(f2) }) }),
      h("p", { class: "muted", text: a.ended_round ? t("debrief.ended", { status: t(`alliance.status_${a.status}`), round: a.ended_round })
        : t("debrief.active", { status: t(`alliance.status_${a.status}`) }) }),
      h("p", {}, [f1, f2].map((f) => h("span", { class: "strategy-chip" }, h("span", { "aria-hidden": "true", text: `${STRATEGY_ICON[this.strategy[f].strategy]} ` }),
        t("debrief.played", { firm: this.name(f), strategy: t(`strategy.${this.strategy[f].strategy}`) })))),
      ...(hist.graduations || []).filter((g) => g.alliance === a.id).map((g) => this.graduation(g)),
      windowsBlock(a.id, (hist.renegotiations || {})[a.id], (f) => this.name(f)));
    const grid = h("div", { class: "chart-grid" });
    const pos = (f, r) => (r === 0 ? hist.firms[f].start_position : ((fr[f] || {})[r] || {}).position ?? null);
    // learning race: relative position against the partner, start = 100
    const race = chartFigure({ title: t("debrief.race"), describe: t("debrief.race_desc"), testid: `race-${a.id}` });
    grid.append(race.fig);
    const rel = (f, g) => [0, ...rounds].map((r) => {
      const p = pos(f, r), q = pos(g, r);
      return p && q ? (100 * (p / q)) / (hist.firms[f].start_position / hist.firms[g].start_position) : null;
    });
    this.charts.push(lineChart(race.canvas, { labels, series: [{ label: this.name(f1), data: rel(f1, f2) }, { label: this.name(f2), data: rel(f2, f1) }],
      yTitle: t("debrief.race_axis"), ySpan: [95, 105] }));
    // joint value and split
    const jv = (r) => (hist.rounds.find((x) => x.round === r) || { events: [] }).events.find((e) => e.type === "joint_value" && e.alliance === a.id);
    const val = chartFigure({ title: t("debrief.value"), describe: t("debrief.value_desc"), testid: `value-${a.id}` });
    grid.append(val.fig);
    this.charts.push(barChart(val.canvas, { labels: labels.slice(1), stacked: true, yTitle: t("chart.points"),
      series: [f1, f2].map((f) => ({ label: t("debrief.share_of", { firm: this.name(f) }), data: rounds.map((r) => { const e = jv(r); return e ? e.shares[f] : 0; }) })) }));
    // trust
    const tr = chartFigure({ title: t("debrief.trust"), describe: t("debrief.trust_desc"), testid: `trust-${a.id}` });
    grid.append(tr.fig);
    const trustAt = (f, r) => (r === 0 ? (hist.trust_start ?? null) : (((fr[f] || {})[r] || {}).trust || {})[a.id] ?? null);
    this.charts.push(lineChart(tr.canvas, { labels: labels.slice(1), yMin: 0, yMax: 1, tickFormat: (v) => pct(v),
      series: [f1, f2].map((f) => ({ label: t("debrief.trust_of", { firm: this.name(f) }), data: rounds.map((r) => trustAt(f, r)) })) }));
    // dependency
    const dep = chartFigure({ title: t("debrief.dependency"), describe: t("debrief.dependency_desc"), testid: `dep-${a.id}` });
    grid.append(dep.fig);
    this.charts.push(lineChart(dep.canvas, { labels: labels.slice(1), tickFormat: (v) => pct(v, 1),
      series: [f1, f2].map((f) => ({ label: t("debrief.dependency_of", { firm: this.name(f) }), data: rounds.map((r) => (((fr[f] || {})[r] || {}).dependency || {})[a.id] ?? null) })) }));
    block.append(grid);
    block.append(this.timeline(a, rounds));
    return block;
  }

  /** One exit told as the race's outcome: graduated (left having learned what it came for) or left early. */
  graduation(g) {
    const args = { firm: this.name(g.firm), partner: this.name(g.partner), round: g.round, closed: pct(g.closed),
      learned: num(g.learned, 1), penalty: num(g.penalty || 0, 1) };
    return h("p", { class: g.graduated ? "graduated" : "left-early", "data-testid": `graduation-${g.alliance}-${g.firm}` },
      h("strong", { text: t(g.graduated ? "debrief.graduated_title" : "debrief.left_title") }), " ",
      t(g.graduated ? "debrief.graduated" : "debrief.left_early", args));
  }

  /** Releases and breaches on a timeline: a chart (shape = what happened) and the same as a list. */
  timeline(a, rounds) {
    const hist = this.hist;
    const [f1, f2] = a.firms;
    const kinds = {
      released: { label: t("debrief.tl_released"), style: 2, shape: "circle" },
      withheld: { label: t("debrief.tl_withheld"), style: 1, shape: "crossRot" },
      ended: { label: t("debrief.tl_ended"), style: 6, shape: "star" },
    };
    const pts = { released: [], withheld: [], ended: [] };
    const items = [];
    const dn = Object.fromEntries(hist.domains.map((d) => [d.id, d.name]));
    for (const r of hist.rounds) for (const e of r.events) {
      if (e.alliance !== a.id) continue;
      const y = e.firm === f2 ? 2 : 1;
      if (e.type === "tranche_released") {
        pts.released.push({ x: r.round, y, name: t("debrief.tl_item_released", { firm: this.name(e.firm), domain: dn[e.domain] || e.domain, t: e.released, n: e.of }) });
        items.push([r.round, pts.released.at(-1).name]);
      } else if (e.type === "tranche_withheld") {
        pts.withheld.push({ x: r.round, y, name: t("debrief.tl_item_withheld", { firm: this.name(e.firm), domain: dn[e.domain] || e.domain }) });
        items.push([r.round, pts.withheld.at(-1).name]);
      } else if (e.type === "alliance_ended") {
        const key = e.reason === "exited" ? (e.by ? "debrief.tl_item_exited" : "debrief.tl_item_mutual") : `debrief.tl_item_${e.reason}`;
        pts.ended.push({ x: r.round, y: 1.5, name: t(key, { by: e.by ? this.name(e.by) : "", penalty: num(e.penalty || 0, 1) }) });
        items.push([r.round, pts.ended.at(-1).name]);
      }
    }
    const fig = chartFigure({ title: t("debrief.timeline"), describe: t("debrief.timeline_desc"), height: 170, testid: `timeline-${a.id}` });
    this.charts.push(drawChart(fig.canvas, () => ({
      type: "scatter",
      data: { datasets: Object.entries(pts).filter(([, v]) => v.length).map(([k, v]) => ({
        label: kinds[k].label, data: v, pointStyle: kinds[k].shape, pointRadius: 8, pointBorderWidth: 2,
        borderColor: COLORS[kinds[k].style], backgroundColor: COLORS[kinds[k].style] })) },
      options: {
        scales: {
          x: { min: 0, max: Math.max(...rounds, 1) + 1, ticks: { stepSize: 1, callback: (v) => (v >= 1 && v <= Math.max(...rounds) ? t("res.round_short", { n: v }) : "") } },
          y: { min: 0, max: 3, ticks: { stepSize: 1, callback: (v) => (v === 1 ? this.name(f1) : v === 2 ? this.name(f2) : "") } },
        },
        plugins: { tooltip: { callbacks: { label: (ctx) => ctx.raw.name } } },
      },
    })));
    items.sort((x, y) => x[0] - y[0]);
    return h("div", { class: "timeline" }, fig.fig,
      h("details", {}, h("summary", { text: t("debrief.timeline_list", { n: items.length }) }),
        h("ol", { class: "breakdown" }, items.map(([r, text]) => h("li", { text: `${t("res.round_short", { n: r })}: ${text}` })))));
  }
}

function signedPart(p) {
  return `${p >= 0 ? "+" : "−"}${num(Math.abs(p), 3)}`;
}

// Charts with Chart.js (vendored UMD build, window.Chart; see vendor/README.md).
// Series differ by colour AND by point shape and line dash, so no chart relies on colour
// alone; the palette is Okabe-Ito (distinguishable with the common colour-vision deficiencies).
import { h } from "./dom.js";
import { t, num } from "./i18n.js";
import { scrollRegion } from "./scrollregion.js";

export const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C6D00"];
export const SHAPES = ["circle", "triangle", "rect", "rectRot", "star", "crossRot", "rectRounded", "cross"];
export const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 2], [12, 6]];

// Chart.js (210 KB) is fetched only when a chart is first shown: never on the join form, never
// before the results are looked at (the player's results tab, the debrief).
let loading = null;

function configure(Chart) {
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue("--font") || "system-ui, sans-serif";
  Chart.defaults.font.size = 13;
  Chart.defaults.color = "#1f2933";
  Chart.defaults.plugins.legend.labels.usePointStyle = true;
  Chart.defaults.plugins.legend.labels.boxHeight = 8;
  Chart.defaults.plugins.legend.position = "bottom";
  Chart.defaults.elements.point.radius = 4;
  Chart.defaults.elements.point.hoverRadius = 6;
  Chart.defaults.elements.line.borderWidth = 2;
  return Chart;
}

/** window.Chart, loaded once (a script from this origin, beside this module: the same version). */
export function loadChart() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      if (window.Chart) { resolve(configure(window.Chart)); return; }
      const script = document.createElement("script");
      script.src = new URL("../vendor/chart.umd.js", import.meta.url).href;
      script.onload = () => resolve(configure(window.Chart));
      script.onerror = () => { loading = null; script.remove(); reject(new Error("Chart.js did not load")); };
      document.head.append(script);
    });
  }
  return loading;
}

/**
 * A chart on `canvas`, made when the canvas is first laid out (a hidden tab's charts wait
 * for the tab): `config()` gives Chart.js's configuration. Returns a handle for destroyAll.
 * The margin makes "laid out" count, not "scrolled into view": a long page draws all its charts.
 */
export function drawChart(canvas, config) {
  const handle = { chart: null, destroyed: false };
  const seen = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    seen.disconnect();
    loadChart().then((Chart) => {
      if (!handle.destroyed && canvas.isConnected) handle.chart = new Chart(canvas, config());
    }, () => { /* no charts: the data table under each stays */ });
  }, { rootMargin: "100000px 0px" });
  seen.observe(canvas);
  handle.destroy = () => { handle.destroyed = true; seen.disconnect(); if (handle.chart) handle.chart.destroy(); };
  return handle;
}

export function seriesStyle(i, { fill = false } = {}) {
  const c = COLORS[i % COLORS.length];
  return {
    borderColor: c, backgroundColor: fill ? `${c}cc` : c, pointBackgroundColor: c, pointBorderColor: c,
    pointStyle: SHAPES[i % SHAPES.length], borderDash: DASHES[i % DASHES.length],
  };
}

/**
 * A chart in a labelled figure. `describe` is a short text alternative (the figure's
 * caption), so the chart's message does not depend on seeing it.
 */
export function chartFigure({ title, describe, height = 220, testid }) {
  const canvas = h("canvas", { role: "img", "aria-label": describe || title });
  const wrap = h("div", { class: "chart-box" }, canvas);
  wrap.style.height = `${height}px`;
  const fig = h("figure", { class: "chart", "data-testid": testid },
    h("figcaption", {}, h("strong", { text: title }), describe ? h("span", { class: "chart-desc", text: ` ${describe}` }) : null),
    wrap);
  return { fig, canvas };
}

/**
 * The chart's numbers as a table in a <details> under it: the text alternative a screen
 * reader (or anyone who cannot tell the lines apart) reads. Put in the chart's figure.
 */
function dataTable(canvas, head, rows, fmt) {
  const fig = canvas.closest("figure");
  if (!fig) return;
  const cell = (v) => (v === null || v === undefined || v === "" ? "–" : typeof v === "number" ? (fmt ? fmt(v) : num(v, 1)) : String(v));
  const caption = fig.querySelector("figcaption strong");
  const table = h("table", { class: "table chart-table" },
    h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col", text: x })))),
    h("tbody", {}, rows.map(([label, ...vals]) => h("tr", {}, h("th", { scope: "row", text: cell(label) }),
      vals.map((v) => h("td", { text: cell(v) }))))));
  fig.querySelector(".chart-data")?.remove();
  // the table is laid out when first opened: a closed <details> would hold a scroll region
  // that cannot measure itself (so could not say whether it needs the keyboard)
  const box = h("details", { class: "chart-data", "data-testid": "chart-data" }, h("summary", { text: t("chart.data") }));
  box.addEventListener("toggle", () => {
    if (box.open && !box.querySelector("table")) box.append(scrollRegion(table, caption ? caption.textContent : t("chart.data")));
  });
  fig.append(box);
}

/** One row per x label, one column per series. */
function seriesTable(canvas, { labels, series, xTitle, tickFormat }) {
  dataTable(canvas, [xTitle || "", ...series.map((s) => s.label)],
    labels.map((l, i) => [l, ...series.map((s) => s.data[i])]), tickFormat);
}

function axisTitle(text) {
  return text ? { display: true, text } : { display: false };
}

/** series: [{label, data: [numbers or null], styleIndex?}] */
export function lineChart(canvas, { labels, series, xTitle, yTitle, yMin, yMax, ySpan, stepped = false, tickFormat }) {
  seriesTable(canvas, { labels, series, xTitle, tickFormat });
  return drawChart(canvas, () => ({
    type: "line",
    data: {
      labels,
      datasets: series.map((s, i) => ({ label: s.label, data: s.data, spanGaps: true, stepped,
                                        ...seriesStyle(s.styleIndex ?? i) })),
    },
    options: {
      scales: {
        x: { title: axisTitle(xTitle) },
        // ySpan [lo, hi]: the least the axis shows, so a flat line is not magnified into
        // floating-point noise ("100.00000000000001"); ticks are rounded to 2 decimals anyway
        y: { title: axisTitle(yTitle), min: yMin, max: yMax, suggestedMin: ySpan?.[0], suggestedMax: ySpan?.[1],
             ticks: { callback: (v) => (tickFormat ? tickFormat(v) : num(v, 2)) } },
      },
      plugins: { tooltip: { mode: "index", intersect: false } },
    },
  }));
}

/** A fill for bar series: plain for the first, then stripes, dots, cross-hatch (not colour alone). */
export function pattern(color, kind) {
  if (!kind) return color;
  const c = document.createElement("canvas");
  c.width = c.height = 8;
  const g = c.getContext("2d");
  g.fillStyle = color;
  g.globalAlpha = 0.35;
  g.fillRect(0, 0, 8, 8);
  g.globalAlpha = 1;
  g.strokeStyle = color;
  g.fillStyle = color;
  g.lineWidth = 2;
  if (kind === 1) { g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6); g.stroke(); }
  else if (kind === 2) { g.beginPath(); g.arc(4, 4, 2, 0, 2 * Math.PI); g.fill(); }
  else { g.beginPath(); g.moveTo(0, 4); g.lineTo(8, 4); g.moveTo(4, 0); g.lineTo(4, 8); g.stroke(); }
  return g.createPattern(c, "repeat");
}

export function barChart(canvas, { labels, series, stacked = false, xTitle, yTitle, tickFormat }) {
  seriesTable(canvas, { labels, series, xTitle, tickFormat });
  return drawChart(canvas, () => ({
    type: "bar",
    data: {
      labels,
      datasets: series.map((s, i) => {
        const k = s.styleIndex ?? i;
        const st = seriesStyle(k, { fill: true });
        return { label: s.label, data: s.data, backgroundColor: pattern(COLORS[k % COLORS.length], i % 4),
                 borderColor: st.borderColor, borderWidth: 1.5, pointStyle: "rect" };
      }),
    },
    options: {
      scales: {
        x: { stacked, title: axisTitle(xTitle) },
        y: { stacked, title: axisTitle(yTitle), ticks: tickFormat ? { callback: (v) => tickFormat(v) } : {} },
      },
    },
  }));
}

/** groups: [{label, styleIndex, points: [{x, y, name}]}]: one dataset per group (shape + colour). */
export function scatterChart(canvas, { groups, xTitle, yTitle, tickFormat }) {
  dataTable(canvas, [t("chart.point"), xTitle || "x", yTitle || "y", ""],
    groups.flatMap((g) => g.points.map((p) => [p.name, p.x, p.y, g.label])), tickFormat);
  return drawChart(canvas, () => ({
    type: "scatter",
    data: {
      datasets: groups.map((g, i) => {
        const st = seriesStyle(g.styleIndex ?? i);
        if (g.color) Object.assign(st, { borderColor: g.color, backgroundColor: g.color, pointBackgroundColor: g.color, pointBorderColor: g.color });
        if (g.shape) st.pointStyle = g.shape;
        return { label: g.label, data: g.points, pointRadius: 9, pointHoverRadius: 11, ...st };
      }),
    },
    options: {
      scales: {
        x: { title: axisTitle(xTitle), ticks: tickFormat ? { callback: (v) => tickFormat(v) } : {} },
        y: { title: axisTitle(yTitle), ticks: tickFormat ? { callback: (v) => tickFormat(v) } : {} },
      },
      plugins: {
        tooltip: { callbacks: { label: (ctx) => `${ctx.raw.name}: ${tickFormat ? tickFormat(ctx.raw.x) : ctx.raw.x}, ${tickFormat ? tickFormat(ctx.raw.y) : ctx.raw.y}` } },
      },
    },
  }));
}

export function destroyAll(charts) {
  for (const c of charts.splice(0)) if (c) c.destroy();
}

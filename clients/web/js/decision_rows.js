// The rows of the round's decision form, each bound to the form (`form`: its values, inputs,
// rows and queue of changes to send as a draft): points, reveal, tranches, exit, survey.
import { h, newId, confirmDialog } from "./dom.js";
import { t, num, pct } from "./i18n.js";

/** A number of points with − and + (contribute, absorb, develop, protect). */
export function pointRow(form, key, label, min, group) {
  const id = newId("pt");
  const full = group ? `${group}: ${label}` : label;
  const input = h("input", { type: "number", id, min: 0, max: form.budget, step: 1, inputmode: "numeric",
                             "aria-label": full, "data-key": key, "data-testid": `pt-${key}` });
  const minus = h("button", { type: "button", class: "step", "aria-label": t("dec.less", { what: full }), text: "−",
                              on: { click: () => form.step(key, -5) } });
  const plus = h("button", { type: "button", class: "step", "aria-label": t("dec.more", { what: full }), text: "+",
                             on: { click: () => form.step(key, +5) } });
  input.addEventListener("input", () => form.onPointInput(key));
  input.addEventListener("change", () => form.onPointInput(key, true));
  const note = h("span", { class: "row-note", "aria-live": "polite" });
  const minNote = min !== null && min > 0 ? h("span", { class: "min-note", text: t("dec.min_promised", { n: num(min, 1) }) }) : null;
  const row = h("div", { class: "point-row", "data-key": key },
    h("label", { for: id, text: label }),
    h("div", { class: "stepper" }, minus, input, plus),
    minNote, note);
  row._plus = plus;
  row._minus = minus;
  row._note = note;
  row._min = min;
  form.inputs.set(key, input);
  form.rows.set(key, row);
  return row;
}

/** How much of a skill area of the scope to reveal (a slider, 0–100%). */
export function revealRow(form, k) {
  const key = `reveal.${k}`;
  const id = newId("rv");
  const input = h("input", { type: "range", id, min: 0, max: 100, step: 5, "data-key": key, "data-testid": `rv-${k}`,
                             "aria-label": `${t("dec.reveal")}: ${form.dn[k] || k}` });
  const out = h("output", { for: id, class: "reveal-out", "aria-live": "off" });
  const note = h("span", { class: "row-note", "aria-live": "polite" });
  input.addEventListener("input", () => {
    form.values.reveal[k] = Number(input.value) / 100;
    out.textContent = pct(form.values.reveal[k]);
    input.setAttribute("aria-valuetext", out.textContent);
    form.queue(key);
  });
  const row = h("div", { class: "reveal-row", "data-key": key }, h("label", { for: id, text: form.dn[k] || k }), input, out, note);
  row._note = note;
  row._out = out;
  form.inputs.set(key, input);
  form.rows.set(key, row);
  return row;
}

/** A tranche due this round: release it, or withhold it (a breach). */
export function trancheRow(form, a, k, dueCount) {
  const key = `withhold.${a.id}.${k}`;
  const n = a.terms.tranches[form.me];
  const name = newId("tr");
  const rel = h("input", { type: "radio", name, value: "release", id: `${name}-r`, "data-testid": `release-${k}` });
  const wh = h("input", { type: "radio", name, value: "withhold", id: `${name}-w`, "data-testid": `withhold-${k}` });
  const onChange = () => {
    const list = new Set(form.values.withhold[a.id] || []);
    if (wh.checked) list.add(k); else list.delete(k);
    form.values.withhold[a.id] = [...list];
    form.queue(`withhold.${a.id}`);
  };
  rel.addEventListener("change", onChange);
  wh.addEventListener("change", onChange);
  const note = h("span", { class: "row-note", "aria-live": "polite" });
  const row = h("div", { class: "tranche-row", role: "radiogroup", "aria-labelledby": `${name}-l`, "data-key": key },
    h("p", { id: `${name}-l`, class: "tranche-title", text: t("dec.tranche_due", { domain: form.dn[k] || k, t: dueCount, n }) }),
    h("label", { class: "check", for: rel.id }, rel, h("span", { text: t("dec.release") })),
    h("label", { class: "check", for: wh.id }, wh, h("span", { text: t("dec.withhold") }), h("small", { class: "hint", text: ` ${t("dec.withhold_hint")}` })),
    note);
  row._note = note;
  row._rel = rel;
  row._wh = wh;
  form.rows.set(key, row);
  form.rows.set(`withhold.${a.id}`, row);
  return row;
}

/** Leave an alliance this round (it asks first: the penalty). */
export function exitRow(form, a) {
  const key = `exit.${a.id}`;
  const id = newId("ex");
  const input = h("input", { type: "checkbox", id, "data-testid": `exit-${a.id}` });
  input.addEventListener("change", async () => {
    if (input.checked) {
      const ok = await confirmDialog({ title: t("dec.exit_confirm_title", { partner: a.partner.name }),
        body: t("dec.exit_confirm_body", { penalty: num(a.terms.exit_penalty, 1) }),
        ok: t("dec.exit_confirm_ok"), cancel: t("common.cancel"), danger: true });
      if (!ok) { input.checked = false; return; }
    }
    const set = new Set(form.values.exit);
    if (input.checked) set.add(a.id); else set.delete(a.id);
    form.values.exit = [...set];
    form.queue("exit");
  });
  const note = h("span", { class: "row-note", "aria-live": "polite" });
  const row = h("div", { class: "exit-row", "data-key": key },
    h("label", { class: "check", for: id }, input, h("span", { text: t("dec.exit_label", { partner: a.partner.name, penalty: num(a.terms.exit_penalty, 1) }) })),
    note);
  row._note = note;
  form.inputs.set(key, input);
  form.rows.set(key, row);
  form.rows.set("exit", row);
  return row;
}

/** A pulse question on a 1–5 scale. */
export function surveyRow(form, q) {
  const key = `survey.${q.id}`;
  const name = newId("sv");
  const legendId = `${name}-q`;
  const scale = h("div", { class: "likert" });
  const radios = [];
  for (let v = 1; v <= 5; v++) {
    const id = `${name}-${v}`;
    const r = h("input", { type: "radio", name, id, value: v, "data-testid": `survey-${q.id}-${v}` });
    r.addEventListener("change", () => { form.values.survey[q.id] = v; form.queue(key); });
    radios.push(r);
    scale.append(h("label", { class: "likert-opt", for: id }, r, h("span", { text: String(v) })));
  }
  const note = h("span", { class: "row-note", "aria-live": "polite" });
  const row = h("div", { class: "survey-row", role: "radiogroup", "aria-labelledby": legendId, "data-key": key },
    h("p", { id: legendId, class: "survey-q", text: q.text }),
    h("div", { class: "likert-wrap" }, h("span", { class: "likert-end", text: `1 = ${q.low}` }), scale, h("span", { class: "likert-end", text: `5 = ${q.high}` })),
    note);
  row._radios = radios;
  row._note = note;
  form.rows.set(key, row);
  return row;
}

/** What a draft holds that this round's form does not offer (an alliance ended since it was
 *  written: contributions and learning in its areas, its tranches, leaving it), as null
 *  fields that remove it: the server refuses such a decision, and plays no such draft. */
export function staleFields(form, draft) {
  const scope = new Set(form.scope());
  const live = { contribute: new Set(form.contributed()), absorb: scope, reveal: scope, withhold: new Set(form.active.map((a) => a.id)) };
  const fields = {};
  for (const [g, ok] of Object.entries(live)) {
    const gone = Object.keys(draft[g] || {}).filter((k) => !ok.has(k));
    if (gone.length) fields[g] = Object.fromEntries(gone.map((k) => [k, null]));
  }
  const exit = draft.exit || [];
  if (exit.some((id) => !live.withhold.has(id))) fields.exit = exit.filter((id) => live.withhold.has(id));
  return fields;
}

/** The form's values without what `staleFields` names. */
export function dropStale(form, v) {
  for (const [g, val] of Object.entries(staleFields(form, v))) {
    if (g === "exit") v.exit = val;
    else for (const k of Object.keys(val)) delete v[g][k];
  }
}

// The round decision: split the budget, set reveal, release or withhold due tranches,
// leave an alliance, answer the pulse survey. The form is the team's shared draft: each
// change is sent as a `draft` command, teammates' changes arrive as `draft` pushes and
// show who changed what.
import { h, clear, say, toast } from "./dom.js";
import { focusLost, moveFocus } from "./focus.js";
import { t, num, pct, errorText, clockTime } from "./i18n.js";
import { mergeDraft } from "./viewfold.js";
import { lockGroups, markRoleGroups } from "./firmroles.js";
import { dropStale, exitRow, pointRow, revealRow, staleFields, surveyRow, trancheRow } from "./decision_rows.js";

const POINT_GROUPS = ["contribute", "absorb", "develop"];
const DEBOUNCE_MS = 250;

const round1 = (x) => Math.round(x * 10) / 10;

// the draft merge lives with the fold of pushes (viewfold.js); re-exported for the form's users
export { mergeDraft };

export class DecisionForm {
  /**
   * view: the player's full view; socket: LiveSocket; me: player id.
   */
  constructor({ socket, view, nameOf }) {
    this.socket = socket;
    this.nameOf = nameOf;
    this.view = view;
    this.round = view.current_round;
    this.budget = view.budget;
    this.me = view.firm.id;
    this.dn = Object.fromEntries(view.domains.map((d) => [d.id, d.name]));
    this.active = (view.alliances || []).filter((a) => a.status === "active");
    this.inputs = new Map();     // "absorb.design" -> input
    this.rows = new Map();       // key -> row element (for "changed by")
    this.dirty = new Map();      // key -> timer (local edits not yet sent)
    this.values = this.prefill();
    this.roleLocked = new Set(); // groups a teammate's role controls (firmroles.js)
    this.el = h("form", { class: "decision", novalidate: true, "data-testid": "decision-form",
                          on: { submit: (e) => { e.preventDefault(); this.submit(); } } });
    this.build();
    this.applyDraft(view.draft || {}, null);
    this.setSubmitted(view.submitted);
  }

  /** What a firm plays when nobody touches anything: its promised minimum, nothing else. */
  prefill() {
    const v = { contribute: {}, absorb: {}, develop: {}, protect: 0, reveal: {}, withhold: {}, exit: [], survey: {} };
    for (const a of this.active) {
      const own = a.terms.contributions[this.me] || [];
      for (const k of own) v.contribute[k] = round1((v.contribute[k] || 0) + (a.terms.min_effort[this.me] || 0) / own.length);
    }
    return v;
  }

  contributed() {
    const s = new Set();
    for (const a of this.active) for (const k of a.terms.contributions[this.me] || []) s.add(k);
    return [...s];
  }

  scope() {
    const s = new Set();
    for (const a of this.active) for (const k of a.terms.scope) s.add(k);
    return this.view.domains.map((d) => d.id).filter((k) => s.has(k));
  }

  minEffortOf(k) {
    let m = 0;
    for (const a of this.active) {
      const own = a.terms.contributions[this.me] || [];
      if (own.includes(k)) m += (a.terms.min_effort[this.me] || 0) / own.length;
    }
    return m;
  }

  // ---- building ------------------------------------------------------------------------

  build() {
    const f = this.el;
    this.budgetBox = h("div", { class: "budget", "data-testid": "budget" });
    this.budgetBar = h("div", { class: "budget-bar", role: "img" });
    this.budgetText = h("p", { class: "budget-text", "aria-live": "polite", "data-testid": "budget-remaining" });
    this.budgetLegend = h("p", { class: "budget-legend" });
    this.budgetMsg = h("p", { class: "budget-msg", role: "alert" });
    this.budgetBox.append(h("h3", { text: t("dec.budget_title", { budget: num(this.budget, 0) }) }), this.budgetText, this.budgetBar, this.budgetLegend, this.budgetMsg);
    f.append(this.budgetBox);
    // the team's draft carries over from round to round: say so, and offer a clean start
    this.carryNote = h("div", { class: "carry-note", role: "status", "data-testid": "carried-over", hidden: true },
      h("p", { text: t("dec.carried_over", { n: (this.view.current_round || 1) - 1 }) }),
      h("button", { type: "button", class: "secondary small", "data-testid": "draft-reset", on: { click: () => this.resetDraft() },
                    text: t("dec.carried_reset") }));
    f.append(this.carryNote);

    const contributed = this.contributed();
    const scope = this.scope();
    const groups = [
      ["contribute", contributed, t("dec.contribute"), t("dec.contribute_hint")],
      ["absorb", scope, t("dec.absorb"), t("dec.absorb_hint")],
      ["develop", this.view.domains.map((d) => d.id), t("dec.develop"), t("dec.develop_hint")],
    ];
    for (const [group, keys, title, hint] of groups) {
      const set = h("fieldset", { class: "points", "data-group": group }, h("legend", { text: title }), h("p", { class: "hint", text: hint }));
      if (!keys.length) set.append(h("p", { class: "muted", text: t(group === "contribute" ? "dec.nothing_to_contribute" : "dec.no_scope") }));
      for (const k of keys) set.append(pointRow(this, `${group}.${k}`, this.dn[k] || k, group === "contribute" ? this.minEffortOf(k) : null, title));
      if (group === "absorb" && keys.length) {
        this.absorbWarn = h("p", { class: "warn", role: "status" });
        set.append(this.absorbWarn);
      }
      f.append(set);
    }
    const protect = h("fieldset", { class: "points", "data-group": "protect" }, h("legend", { text: t("dec.protect") }),
      h("p", { class: "hint", text: t("dec.protect_hint") }), pointRow(this, "protect", t("dec.protect_label"), null, null));
    f.append(protect);

    // reveal
    if (scope.length) {
      const set = h("fieldset", { class: "reveal", "data-group": "reveal" }, h("legend", { text: t("dec.reveal") }), h("p", { class: "hint", text: t("dec.reveal_hint") }));
      for (const k of scope) set.append(revealRow(this, k));
      f.append(set);
    }
    // tranches due
    const dueSets = [];
    for (const a of this.active) {
      const due = a.due || {};
      const doms = Object.keys(due);
      if (!doms.length) continue;
      const set = h("fieldset", { class: "tranches" }, h("legend", { text: t("dec.tranches_due", { partner: a.partner.name }) }),
        h("p", { class: "hint", text: t("dec.tranches_hint") }));
      for (const k of doms) set.append(trancheRow(this, a, k, due[k]));
      dueSets.push(set);
    }
    if (dueSets.length) f.append(...dueSets);
    else if (this.active.length) f.append(h("p", { class: "muted", text: t("dec.no_tranche_due") }));
    // exit
    if (this.active.length) {
      const set = h("fieldset", { class: "exit" }, h("legend", { text: t("dec.exit") }));
      for (const a of this.active) set.append(exitRow(this, a));
      f.append(set);
    }
    // survey: not asked before anything has happened (no results yet, i.e. round 1): the
    // questions are about the partner's conduct and our trust, which the first round
    // forms. The server still accepts answers from API clients (docs/research.md).
    const results = (this.view.history || []).some((e) => e.type === "firm_result");
    const surveys = results ? this.view.surveys || [] : [];
    if (surveys.length) {
      const set = h("fieldset", { class: "survey" }, h("legend", { text: t("dec.survey") }), h("p", { class: "hint", text: t("dec.survey_hint") }));
      for (const q of surveys) set.append(surveyRow(this, q));
      f.append(set);
    }
    // activity + submit
    this.activity = h("ol", { class: "activity", "aria-live": "polite", "data-testid": "draft-activity" });
    f.append(h("section", { class: "card activity-card" }, h("h3", { text: t("dec.activity") }), this.activity));
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "decision-error" });
    this.submitted = h("p", { class: "submitted-banner", role: "status", "data-testid": "submitted-banner", hidden: true });
    this.submitBtn = h("button", { type: "submit", class: "primary big", text: t("dec.submit"), "data-testid": "submit-decision" });
    this.submitNote = h("p", { class: "hint" });
    f.append(this.error, this.submitted, h("div", { class: "actions sticky-submit" }, this.submitBtn), this.submitNote);
    const sub = this.view.submitter;
    if (sub && sub !== this.view.me.player_id) {
      this.submitBtn.disabled = true;
      this.submitNote.textContent = t("dec.only_submitter", { name: this.nameOf(sub) });
    } else {
      this.submitNote.textContent = t("dec.submit_hint");
    }
    this.roleLocked = markRoleGroups(this.el, this.view, this.nameOf);
    this.renderBudget();
  }

  // ---- values ------------------------------------------------------------------------------

  get(key) {
    const [g, k] = key.split(".");
    if (g === "protect") return this.values.protect || 0;
    return (this.values[g] && this.values[g][k]) || 0;
  }

  set(key, v) {
    const [g, k] = key.split(".");
    if (g === "protect") this.values.protect = v;
    else this.values[g][k] = v;
  }

  spent() {
    let s = this.values.protect || 0;
    for (const g of POINT_GROUPS) for (const v of Object.values(this.values[g])) s += v || 0;
    return s;
  }

  step(key, delta) {
    const input = this.inputs.get(key);
    const cur = this.get(key);
    input.value = String(Math.max(0, round1(cur + delta)));
    this.onPointInput(key, true);
  }

  onPointInput(key, commit = false) {
    const input = this.inputs.get(key);
    const raw = input.value.trim();
    if (raw === "" && !commit) return;   // let people clear the box and type
    let v = Number(raw);
    if (!Number.isFinite(v) || v < 0) v = 0;
    const others = this.spent() - this.get(key);
    const room = Math.max(0, this.budget - others);
    let clamped = false;
    if (v > room + 1e-9) { v = round1(room); clamped = true; }
    this.set(key, v);
    // while typing, only a value that changed is written back: "2.0" on the way to "2.05"
    // stays as typed (rewriting it to "2" turned 2.05 into 25); the change event tidies up
    if (clamped || commit || Number(raw) !== v) input.value = String(v);
    this.budgetMsg.textContent = clamped ? t("dec.over_budget", { n: num(room, 1) }) : "";
    this.renderBudget();
    this.queue(key);
  }

  renderBudget() {
    const spent = this.spent();
    const left = round1(this.budget - spent);
    const parts = {
      contribute: Object.values(this.values.contribute).reduce((a, b) => a + (b || 0), 0),
      absorb: Object.values(this.values.absorb).reduce((a, b) => a + (b || 0), 0),
      develop: Object.values(this.values.develop).reduce((a, b) => a + (b || 0), 0),
      protect: this.values.protect || 0,
    };
    say(this.budgetText, t("dec.remaining", { left: num(left, 1), budget: num(this.budget, 0) }));
    this.budgetBox.dataset.full = left <= 0.05 ? "yes" : "no";
    clear(this.budgetBar);
    for (const [g, v] of Object.entries(parts)) {
      if (v <= 0) continue;
      const seg = h("span", { class: `seg seg-${g}` });
      seg.style.width = `${(100 * v) / this.budget}%`;
      this.budgetBar.append(seg);
    }
    const legend = Object.entries(parts).map(([g, v]) => t(`dec.legend_${g}`, { n: num(v, 1) }));
    legend.push(t("dec.legend_unspent", { n: num(Math.max(0, left), 1) }));
    this.budgetLegend.textContent = legend.join(" · ");
    this.budgetBar.setAttribute("aria-label", this.budgetLegend.textContent);
    for (const [key, row] of this.rows) {
      if (!row._plus) continue;
      const off = this.locked || this.roleLocked.has(key.split(".")[0]);
      row._plus.disabled = off || left <= 0.05;
      row._minus.disabled = off || this.get(key) <= 0;
      this.inputs.get(key).max = String(round1(this.get(key) + Math.max(0, left)));
      if (row._min !== null && row._min > 0) row.classList.toggle("below-min", this.get(key) + 1e-9 < row._min);
    }
    if (this.absorbWarn) {
      const share = parts.absorb / this.budget;
      this.absorbWarn.textContent = share > 0.3 ? t("dec.absorb_warn", { pct: pct(share) }) : "";
    }
    for (const [key, row] of this.rows) {
      if (row._min !== null && row._min > 0 && row._note && !row._note.dataset.by) {
        say(row._note, this.get(key) + 1e-9 < row._min ? t("dec.below_min") : "");
      }
    }
  }

  /** Show values in the inputs (all but the ones this person is editing). */
  renderValues() {
    for (const [key, input] of this.inputs) {
      if (this.dirty.has(key) || document.activeElement === input) continue;
      const [g, k] = key.split(".");
      if (g === "reveal") {
        const v = this.values.reveal[k] || 0;
        input.value = String(Math.round(v * 100));
        const out = this.rows.get(key)._out;
        out.textContent = pct(v);
        input.setAttribute("aria-valuetext", out.textContent);
      } else if (g === "exit") {
        input.checked = this.values.exit.includes(k);
      } else {
        input.value = String(this.get(key));
      }
    }
    for (const [key, row] of this.rows) {
      if (row._wh && key.split(".").length === 3) {
        const [, aid, k] = key.split(".");
        const w = (this.values.withhold[aid] || []).includes(k);
        row._wh.checked = w;
        row._rel.checked = !w;
      }
      if (row._radios) {
        const q = key.split(".")[1];
        const v = this.values.survey[q];
        for (const r of row._radios) r.checked = Number(r.value) === v;
      }
    }
    this.renderBudget();
  }

  /** Merge a draft (from the server) over the prefill and show it. */
  applyDraft(draft, by) {
    this.serverDraft = draft || {};
    const base = this.prefill();
    const v = { ...base };
    for (const g of [...POINT_GROUPS, "reveal", "survey"]) v[g] = { ...base[g], ...(draft[g] || {}) };
    v.protect = draft.protect ?? base.protect;
    v.withhold = { ...(draft.withhold || {}) };
    v.exit = [...(draft.exit || [])];
    dropStale(this, v);
    // keep what this person is typing and has not sent yet
    for (const key of this.dirty.keys()) {
      const [g, k] = key.split(".");
      if (g === "protect") v.protect = this.values.protect;
      else if (g === "exit") v.exit = this.values.exit;
      else if (g === "withhold") v.withhold[k] = this.values.withhold[k];
      else v[g][k] = this.values[g][k];
    }
    this.values = v;
    this.renderValues();
    if (this.carryNote) this.renderCarry();
  }

  /** Carried over: a draft with points in it at the start of a round after the first, that
   *  nobody has touched from this page since (a teammate's change hides it too). */
  renderCarry() {
    const d = this.serverDraft || {};
    const hasValues = ["contribute", "absorb", "develop", "reveal"].some((g) => Object.keys(d[g] || {}).length) || d.protect > 0;
    this.carryNote.hidden = !(hasValues && (this.view.current_round || 1) > 1 && !this.touched && !this.locked);
  }

  /** Back to the promised minimum: every carried-over value removed from the team's draft. */
  async resetDraft() {
    if (this.locked) return;
    this.touched = true;
    const fields = { contribute: null, absorb: null, develop: null, protect: null, reveal: null };
    for (const g of this.roleLocked) delete fields[g];  // a teammate's role sets those
    try {
      const r = await this.socket.send("draft", { fields, round: this.round });
      this.applyDraft((r && r.draft) || {}, null);
      this.error.textContent = "";
      this.carryNote.hidden = true;
    } catch (e) {
      this.error.textContent = errorText(e);
    }
  }

  /** A teammate changed the draft: show the values and who changed what. */
  onDraftPush(msg, draft) {
    this.touched = true;
    const before = this.values;
    this.applyDraft(draft, msg.by);
    // only what the form showed differently is a teammate's choice: a teammate's first change
    // also writes the promised contributions already shown (flush), and removes (null) what
    // the round no longer offers; neither is news
    const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const changes = [];
    for (const [g, val] of Object.entries(msg.changed || {})) {
      if (val && typeof val === "object" && !Array.isArray(val)) {
        for (const [k, v] of Object.entries(val)) if (v !== null && !same((before[g] || {})[k], v)) changes.push([`${g}.${k}`, g, k, v]);
      } else if (!same(before[g], val)) changes.push([g, g, null, val]);
    }
    for (const [key, g, k, v] of changes) {
      const text = t("dec.changed_by", { name: msg.by_name, what: this.describe(g, k, v) });
      this.activity.prepend(h("li", {}, h("time", { text: clockTime(this.socket.serverNow()) }), " ", text));
      while (this.activity.children.length > 30) this.activity.lastChild.remove();
      let row = this.rows.get(key) || this.rows.get(g);
      if (g === "withhold" && k) row = this.rows.get(`withhold.${k}`) || row;
      if (row && row._note) {
        row._note.textContent = t("dec.row_changed_by", { name: msg.by_name });
        row._note.dataset.by = msg.by;
        row.classList.add("changed");
        clearTimeout(row._timer);
        row._timer = setTimeout(() => { row.classList.remove("changed"); row._note.textContent = ""; delete row._note.dataset.by; this.renderBudget(); }, 8000);
      }
    }
  }

  describe(g, k, v) {
    const what = k ? `${t(`dec.group_${g}`)} · ${g === "withhold" || g === "survey" ? k : this.dn[k] || k}` : t(`dec.group_${g}`);
    let val;
    if (g === "reveal") val = pct(v);
    else if (g === "withhold") val = Array.isArray(v) && v.length ? t("dec.withholding", { list: v.map((x) => this.dn[x] || x).join(", ") }) : t("dec.releasing");
    else if (g === "exit") val = Array.isArray(v) && v.length ? t("dec.leaving") : t("dec.staying");
    else val = num(v, 1);
    return t("dec.set_to", { what, value: val });
  }

  /** Send a changed field to the team's draft (debounced per field). */
  queue(key) {
    if (this.locked) return;
    this.touched = true;
    this.carryNote.hidden = true;
    clearTimeout(this.dirty.get(key));
    this.dirty.set(key, setTimeout(() => this.flush(key), DEBOUNCE_MS));
  }

  fieldsFor(key) {
    const [g, k] = key.split(".");
    if (g === "protect") return { protect: this.values.protect };
    if (g === "exit") return { exit: this.values.exit };
    if (g === "withhold") return { withhold: { [k]: this.values.withhold[k] || [] } };
    return { [g]: { [k]: this.values[g][k] } };
  }

  async flush(key) {
    clearTimeout(this.dirty.get(key));
    const fields = this.fieldsFor(key);
    // The shared draft is what the server plays if nobody submits: the first change also
    // writes the promised contributions shown in the form, so the draft never plays less.
    const known = (this.serverDraft && this.serverDraft.contribute) || {};
    if (!fields.contribute && this.contributed().some((k) => !(k in known))) fields.contribute = { ...this.values.contribute };
    // ... and it drops what the round no longer offers, so that the draft can be played
    for (const [g, val] of Object.entries(staleFields(this, this.serverDraft || {}))) {
      fields[g] = g === "exit" ? (fields.exit || val) : { ...val, ...(fields[g] || {}) };
    }
    try {
      const r = await this.socket.send("draft", { fields, round: this.round });
      if (r && r.draft) this.serverDraft = r.draft;
      this.error.textContent = "";
    } catch (e) {
      if (e.code !== "wrong_phase" && e.code !== "stale_round") this.error.textContent = errorText(e);
    } finally {
      this.dirty.delete(key);
    }
  }

  async flushAll() {
    await Promise.all([...this.dirty.keys()].map((k) => this.flush(k)));
  }

  decision() {
    const clean = (m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v > 0));
    const withhold = Object.fromEntries(Object.entries(this.values.withhold).filter(([, v]) => v && v.length));
    return {
      contribute: clean(this.values.contribute), absorb: clean(this.values.absorb), develop: clean(this.values.develop),
      protect: this.values.protect || 0, reveal: clean(this.values.reveal), withhold, exit: this.values.exit,
      survey: { ...this.values.survey },
    };
  }

  async submit() {
    if (this.locked) return;
    this.submitBtn.disabled = true;
    this.error.textContent = "";
    try {
      await this.flushAll();
      const d = this.decision();
      await this.socket.send("submit", { decision: d, round: this.round });
      // minor: the submission that closes the round is answered after the round's results,
      // and "Round N results are in" is then the news to keep (the banner says this one)
      toast(t("dec.submitted_toast"), "ok", 4000, { spoken: false, topic: "round", minor: true });
      if (!this.submitted.hidden) moveFocus(this.submitted);
      else this.focusWhenSubmitted = true;  // the "submitted" push has not come yet
    } catch (e) {
      this.error.textContent = errorText(e);
      this.submitBtn.disabled = false;
      this.submitBtn.focus();
    }
  }

  setSubmitted(sub) {
    const wasLocked = this.locked;
    this.locked = !!sub;
    if (this.carryNote) this.renderCarry();
    for (const el of this.el.querySelectorAll("input, button, select, textarea")) el.disabled = this.locked;
    lockGroups(this.el, this.roleLocked);
    const who = this.view.submitter;
    if (who && who !== this.view.me.player_id) this.submitBtn.disabled = true;
    if (sub) {
      this.submitted.hidden = false;
      say(this.submitted, t("dec.submitted_by", { name: this.nameOf(sub.by) }));
      this.el.dataset.submitted = "yes";
      // the form just locked (disabled controls drop focus to <body>): focus says who submitted
      if (!wasLocked && (this.focusWhenSubmitted || focusLost())) moveFocus(this.submitted);
      this.focusWhenSubmitted = false;
    } else {
      this.submitted.hidden = true;
      this.el.dataset.submitted = "no";
    }
    this.renderBudget();
  }
}

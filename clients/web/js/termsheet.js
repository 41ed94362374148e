// The term sheet: a readable summary of one, and the editor used to offer and counter.
import { h, clear, newId, confirmDialog, say, toast } from "./dom.js";
import { moveFocus } from "./focus.js";
import { t, num, pct, errorText } from "./i18n.js";

/** Rows of a term sheet as [key, label, text] from one firm's point of view. */
export function termRows(terms, me, partner, dn, partnerName) {
  const list = (ks) => (ks && ks.length ? ks.map((k) => dn[k] || k).join(", ") : t("terms.none"));
  const payer = terms.upfront_payment > 0
    ? t(terms.payer === me ? "terms.we_pay" : "terms.partner_pays", { amount: num(terms.upfront_payment, 1), partner: partnerName })
    : t("terms.no_payment");
  return [
    ["scope", t("terms.scope"), list(terms.scope)],
    ["contrib_me", t("terms.we_contribute"), `${list(terms.contributions[me])} · ${t("terms.min_effort_short", { n: num(terms.min_effort[me] || 0, 1) })}`],
    ["contrib_partner", t("terms.partner_contributes", { partner: partnerName }), `${list(terms.contributions[partner])} · ${t("terms.min_effort_short", { n: num(terms.min_effort[partner] || 0, 1) })}`],
    ["release", t("terms.release"), terms.release === "upfront" ? t("terms.release_upfront")
      : t("terms.release_staged_text", { me: terms.tranches[me] ?? "?", partner: terms.tranches[partner] ?? "?", milestone: num(terms.milestone, 1) })],
    ["split", t("terms.split"), t("terms.split_text", { me: pct(terms.split[me]), partner: pct(terms.split[partner]) })],
    ["payment", t("terms.upfront_payment"), payer],
    ["form", t("terms.form"), t(`terms.form_${terms.form}`)],
    ["duration", t("terms.duration"), t("terms.duration_text", { n: terms.duration })],
    ["exit", t("terms.exit"), [
      t("terms.exit_penalty_text", { n: num(terms.exit_penalty, 1) }),
      terms.exit_on_breach ? t("terms.exit_on_breach_yes") : t("terms.exit_on_breach_no"),
      terms.exit_trust_below > 0 ? t("terms.exit_trust_text", { n: pct(terms.exit_trust_below) }) : null,
    ].filter(Boolean).join(" · ")],
  ];
}

export function termSummary(terms, me, partner, dn, partnerName, previous) {
  const rows = termRows(terms, me, partner, dn, partnerName);
  const prev = previous ? new Map(termRows(previous, me, partner, dn, partnerName).map((r) => [r[0], r[2]])) : null;
  return h("dl", { class: "terms" }, rows.map(([key, label, text]) => {
    const changed = prev && prev.get(key) !== text;
    return [h("dt", {}, label, changed ? h("span", { class: "tag changed", text: t("terms.changed") }) : null),
            h("dd", { "data-term": key, text })];
  }));
}

/** The editor. onSend(terms) is called with a term sheet (firm ids as keys). */
export class TermEditor {
  constructor({ me, partner, partnerName, domains, budget, rounds, onSend }) {
    Object.assign(this, { me, partner, partnerName, domains, budget, rounds, onSend });
    this.inputs = {};
    this.el = h("form", { class: "term-editor", novalidate: true, "data-testid": "term-editor",
                          on: { submit: (e) => { e.preventDefault(); this.submit(); } } });
    this.build();
  }

  cb(name, label, checked) {
    const id = newId("cb");
    const input = h("input", { type: "checkbox", id, name, checked });
    return { input, row: h("label", { class: "check", for: id }, input, h("span", { text: label })) };
  }

  radio(name, value, label, hint) {
    const id = newId("r");
    const input = h("input", { type: "radio", id, name, value });
    return { input, row: h("label", { class: "check", for: id }, input, h("span", {}, h("span", { text: label }),
      hint ? h("small", { class: "hint", text: ` ${hint}` }) : null)) };
  }

  number(label, { min = 0, max, step = "any", hint, testid } = {}) {
    const id = newId("n");
    const input = h("input", { type: "number", id, min, max, step, inputmode: "decimal", "data-testid": testid });
    const hid = hint ? newId("h") : null;
    if (hid) input.setAttribute("aria-describedby", hid);
    return { input, row: h("div", { class: "field inline" }, h("label", { for: id, text: label }), input,
      hint ? h("p", { class: "hint", id: hid, text: hint }) : null) };
  }

  build() {
    const f = this.el;
    const dn = Object.fromEntries(this.domains.map((d) => [d.id, d.name]));
    const uid = newId("ts");
    this.dn = dn;
    // scope
    this.scope = {};
    const scopeSet = h("fieldset", {}, h("legend", { text: t("terms.scope") }), h("p", { class: "hint", text: t("terms.scope_hint") }));
    for (const d of this.domains) {
      const c = this.cb(`${uid}-scope`, d.name, false);
      c.input.dataset.domain = d.id;
      c.input.addEventListener("change", () => this.syncScope());
      this.scope[d.id] = c.input;
      scopeSet.append(c.row);
    }
    // contributions + minimum effort
    this.contrib = { [this.me]: {}, [this.partner]: {} };
    this.minEffort = {};
    const contribSets = [this.me, this.partner].map((firm) => {
      const set = h("fieldset", {}, h("legend", { text: firm === this.me ? t("terms.we_contribute") : t("terms.partner_contributes", { partner: this.partnerName }) }));
      for (const d of this.domains) {
        const c = this.cb(`${uid}-c-${firm}`, d.name, false);
        this.contrib[firm][d.id] = c.input;
        set.append(c.row);
      }
      const m = this.number(t("terms.min_effort"), { max: this.budget, hint: t("terms.min_effort_hint", { budget: num(this.budget, 0) }) });
      this.minEffort[firm] = m.input;
      set.append(m.row);
      return set;
    });
    // release schedule
    this.release = {};
    const relSet = h("fieldset", {}, h("legend", { text: t("terms.release") }));
    for (const v of ["staged", "upfront"]) {
      const r = this.radio(`${uid}-release`, v, t(`terms.release_${v}`), t(`terms.release_${v}_hint`));
      r.input.addEventListener("change", () => this.syncRelease());
      this.release[v] = r.input;
      relSet.append(r.row);
    }
    this.tranches = {};
    for (const firm of [this.me, this.partner]) {
      const n = this.number(firm === this.me ? t("terms.tranches_we") : t("terms.tranches_partner", { partner: this.partnerName }),
        { min: 1, max: 20, step: 1 });
      this.tranches[firm] = n.input;
      relSet.append(n.row);
    }
    const ms = this.number(t("terms.milestone"), { min: 1, hint: t("terms.milestone_hint") });
    this.milestone = ms.input;
    relSet.append(ms.row);
    // split
    const splitId = newId("split");
    this.split = h("input", { type: "range", id: splitId, min: 0, max: 100, step: 5, "data-testid": "split" });
    this.splitOut = h("output", { for: splitId, class: "split-out", "aria-live": "off" });
    this.split.addEventListener("input", () => this.syncSplit());
    const splitSet = h("fieldset", {}, h("legend", { text: t("terms.split") }),
      h("label", { for: splitId, text: t("terms.split_label") }), this.split, this.splitOut);
    // upfront payment
    const pay = this.number(t("terms.upfront_amount"), { min: 0 });
    this.payment = pay.input;
    this.payer = h("select", { id: newId("payer") },
      h("option", { value: "", text: t("terms.payer_none") }),
      h("option", { value: this.me, text: t("terms.payer_we") }),
      h("option", { value: this.partner, text: t("terms.payer_partner", { partner: this.partnerName }) }));
    const paySet = h("fieldset", {}, h("legend", { text: t("terms.upfront_payment") }), pay.row,
      h("div", { class: "field inline" }, h("label", { for: this.payer.id, text: t("terms.payer") }), this.payer));
    // form
    this.form = {};
    const formSet = h("fieldset", {}, h("legend", { text: t("terms.form") }));
    for (const v of ["parallel", "serial"]) {
      const r = this.radio(`${uid}-form`, v, t(`terms.form_${v}`), t(`terms.form_${v}_hint`));
      this.form[v] = r.input;
      formSet.append(r.row);
    }
    // duration + exit
    const dur = this.number(t("terms.duration_label"), { min: 1, max: this.rounds, step: 1, hint: t("terms.duration_hint", { n: this.rounds }) });
    this.duration = dur.input;
    const pen = this.number(t("terms.exit_penalty"), { min: 0, hint: t("terms.exit_penalty_hint") });
    this.exitPenalty = pen.input;
    const brk = this.cb(`${uid}-breach`, t("terms.exit_on_breach"), true);
    this.exitOnBreach = brk.input;
    const trustId = newId("trust");
    this.exitTrust = h("input", { type: "range", id: trustId, min: 0, max: 100, step: 5 });
    this.exitTrustOut = h("output", { for: trustId, "aria-live": "off" });
    this.exitTrust.addEventListener("input", () => { this.exitTrustOut.textContent = pct(this.exitTrust.value / 100); });
    const exitSet = h("fieldset", {}, h("legend", { text: t("terms.exit") }), pen.row, brk.row,
      h("div", { class: "field" }, h("label", { for: trustId, text: t("terms.exit_trust") }), this.exitTrust, this.exitTrustOut));

    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "terms-error" });
    this.sendBtn = h("button", { type: "submit", class: "primary", "data-testid": "send-offer" });
    this.resetBtn = h("button", { type: "button", class: "secondary", text: t("terms.reset_default"),
                                  on: { click: () => this.fill(this.defaults) } });
    f.append(scopeSet, ...contribSets, relSet, splitSet, paySet, formSet,
      h("fieldset", {}, h("legend", { text: t("terms.duration") }), dur.row), exitSet,
      this.error, h("div", { class: "actions" }, this.resetBtn, this.sendBtn));
    this.setMode("offer");
  }

  setMode(mode) {
    this.mode = mode;
    this.sendBtn.textContent = mode === "counter" ? t("neg.send_counter") : t("neg.send_offer");
  }

  setDefaults(terms) {
    this.defaults = terms;
  }

  fill(terms) {
    if (!terms) return;
    for (const d of this.domains) this.scope[d.id].checked = terms.scope.includes(d.id);
    for (const firm of [this.me, this.partner]) {
      for (const d of this.domains) this.contrib[firm][d.id].checked = (terms.contributions[firm] || []).includes(d.id);
      this.minEffort[firm].value = terms.min_effort[firm] ?? 0;
      this.tranches[firm].value = terms.tranches[firm] ?? 4;
    }
    this.release[terms.release === "upfront" ? "upfront" : "staged"].checked = true;
    this.milestone.value = terms.milestone;
    this.split.value = Math.round((terms.split[this.me] ?? 0.5) * 100);
    this.payment.value = terms.upfront_payment || 0;
    this.payer.value = terms.payer || "";
    this.form[terms.form === "serial" ? "serial" : "parallel"].checked = true;
    this.duration.value = Math.min(terms.duration, this.rounds);
    this.exitPenalty.value = terms.exit_penalty;
    this.exitOnBreach.checked = !!terms.exit_on_breach;
    this.exitTrust.value = Math.round((terms.exit_trust_below || 0) * 100);
    this.exitTrustOut.textContent = pct(terms.exit_trust_below || 0);
    this.syncScope();
    this.syncRelease();
    this.syncSplit();
    this.error.textContent = "";
  }

  syncScope() {
    for (const d of this.domains) {
      const inScope = this.scope[d.id].checked;
      for (const firm of [this.me, this.partner]) {
        const c = this.contrib[firm][d.id];
        c.disabled = !inScope;
        if (!inScope) c.checked = false;
      }
    }
  }

  syncRelease() {
    const staged = this.release.staged.checked;
    this.milestone.disabled = !staged;
  }

  syncSplit() {
    const s = Number(this.split.value);
    this.splitOut.textContent = t("terms.split_text", { me: `${s}%`, partner: `${100 - s}%` });
    this.split.setAttribute("aria-valuetext", this.splitOut.textContent);
  }

  read() {
    const n = (el, d = 0) => (el.value === "" ? d : Number(el.value));
    const scope = this.domains.filter((d) => this.scope[d.id].checked).map((d) => d.id);
    const contributions = {}, minEffort = {}, tranches = {};
    for (const firm of [this.me, this.partner]) {
      contributions[firm] = scope.filter((k) => this.contrib[firm][k].checked);
      minEffort[firm] = n(this.minEffort[firm]);
      tranches[firm] = Math.round(n(this.tranches[firm], 4));
    }
    const s = Number(this.split.value) / 100;
    const amount = n(this.payment);
    return {
      scope, contributions, min_effort: minEffort, tranches,
      milestone: n(this.milestone, 25), release: this.release.upfront.checked ? "upfront" : "staged",
      split: { [this.me]: s, [this.partner]: Math.round((1 - s) * 100) / 100 },
      form: this.form.serial.checked ? "serial" : "parallel",
      duration: Math.round(n(this.duration, this.rounds)),
      exit_penalty: n(this.exitPenalty), exit_on_breach: this.exitOnBreach.checked,
      exit_trust_below: Number(this.exitTrust.value) / 100,
      upfront_payment: amount, payer: this.payer.value || null,
    };
  }

  /** Client-side checks with the same rules as the server (so mistakes show at once). */
  check(terms) {
    if (!terms.scope.length) return t("terms.err_scope");
    for (const firm of [this.me, this.partner]) {
      if (!(terms.min_effort[firm] >= 0 && terms.min_effort[firm] <= this.budget)) return t("terms.err_min_effort", { budget: num(this.budget, 0) });
      if (!(terms.tranches[firm] >= 1 && terms.tranches[firm] <= 20)) return t("terms.err_tranches");
    }
    // money and milestones: at most 1000 round budgets (game_rules/negotiation.py, MONEY_BUDGETS)
    const most = 1000 * this.budget, mostText = num(most, 0);
    if (!(terms.milestone > 0 && terms.milestone <= most)) return t("terms.err_milestone", { most: mostText });
    if (!(terms.duration >= 1 && terms.duration <= this.rounds)) return t("terms.err_duration", { n: this.rounds });
    if (!(terms.exit_penalty >= 0 && terms.exit_penalty <= most)) return t("terms.err_penalty", { most: mostText });
    if (!(terms.upfront_payment >= 0 && terms.upfront_payment <= most)) return t("terms.err_payment", { most: mostText });
    if (terms.upfront_payment > 0 && !terms.payer) return t("terms.err_payer");
    return null;
  }

  async submit() {
    const terms = this.read();
    const problem = this.check(terms);
    this.error.textContent = problem || "";
    if (problem) return;
    this.sendBtn.disabled = true;
    try {
      await this.onSend(terms, this.mode);
    } catch (e) {
      this.error.textContent = e && e.code === "invalid_terms" ? `${t("error.invalid_terms")} (${e.message})` : errorText(e);
    } finally {
      this.sendBtn.disabled = false;
    }
  }
}

/** The whole negotiation panel for one negotiation. */
export class NegotiationPanel {
  /** `texts`: the keys of what a renegotiation says differently (the form starts from the
   *  terms in force, and not every term is open). */
  constructor({ socket, me, domains, budget, rounds, texts }) {
    Object.assign(this, { socket, me, domains, budget, rounds });
    this.texts = { no_offer: "neg.no_offer_yet", editor_hint: "neg.editor_hint", reset: "terms.reset_default", ...texts };
    this.dn = Object.fromEntries(domains.map((d) => [d.id, d.name]));
    this.el = h("section", { class: "negotiation", "data-testid": "negotiation" });
    this.neg = null;
    this.editor = null;
    this.readOnly = null;  // why this player sees the offers but cannot move (firm roles)
  }

  /** `note`: this player is not its firm's negotiator (null: it may move). */
  setReadOnly(note) {
    if (note === this.readOnly) return;
    this.readOnly = note;
    if (this.neg) this.renderState();
  }

  setContext({ partnerName, defaults }) {
    if (partnerName && partnerName !== this.partnerName) {
      this.partnerName = partnerName;
      if (this.neg && !this.editorTouched) { this.build(); this.renderState(); }
    }
    if (defaults) {
      const first = !this.defaults;
      this.defaults = defaults;
      if (this.editor) {
        this.editor.setDefaults(defaults);
        if (first && !this.editorTouched) this.editor.fill(defaults);
      }
    }
  }

  /** `alliance`: the alliance this negotiation signed, as the view has it now (an agreed
   *  negotiation's alliance may have ended since: an exit, trust, its last round). */
  update(neg, alliance = null) {
    const firstTime = !this.neg || this.neg.id !== neg.id;
    this.neg = neg;
    this.alliance = alliance;
    this.partner = neg.firms.find((f) => f !== this.me);
    if (neg.partner && neg.partner.name) this.partnerName = neg.partner.name;
    if (neg.default_terms && !this.defaults) this.defaults = neg.default_terms;
    this.partnerName = this.partnerName || this.partner;
    if (firstTime) this.build();
    this.renderState();
  }

  build() {
    clear(this.el);
    this.title = h("h2", { class: "section-title" });
    this.status = h("p", { class: "neg-status", role: "status", "data-testid": "neg-status" });
    this.roleNote = h("p", { class: "role-note", "data-testid": "neg-role-note", hidden: true });
    this.standing = h("div", { class: "standing" });
    this.history = h("details", { class: "offer-history" });
    this.editor = new TermEditor({
      me: this.me, partner: this.partner, partnerName: this.partnerName, domains: this.domains,
      budget: this.budget, rounds: this.rounds,
      onSend: (terms, mode) => this.move(mode, terms),
    });
    this.editor.el.addEventListener("input", () => { this.editorTouched = true; });
    this.editor.setDefaults(this.defaults);
    this.editor.fill(this.defaults);
    this.editor.resetBtn.textContent = t(this.texts.reset);
    this.editorTitle = h("summary", { class: "editor-summary", "data-testid": "editor-toggle", text: t("neg.editor_title") });
    this.editorBox = h("details", { class: "card editor-card", open: true }, this.editorTitle,
      h("p", { class: "hint", text: t(this.texts.editor_hint) }), this.editor.el);
    this.lastTheirs = undefined;
    this.walkBtn = h("button", { type: "button", class: "danger", text: t("neg.walk_away"), "data-testid": "walk-away",
                                 on: { click: () => this.walkAway() } });
    this.el.append(this.title, this.status, this.roleNote, this.standing, this.editorBox, this.history, h("div", { class: "actions end" }, this.walkBtn));
  }

  renderState() {
    const neg = this.neg;
    const pn = this.partnerName;
    this.title.textContent = t("neg.title", { partner: pn });
    const offers = neg.offers || [];
    const standing = neg.standing ? offers.find((o) => o.n === neg.standing) : null;
    const open = neg.status === "open";
    const act = open && !this.readOnly;
    this.roleNote.hidden = !(open && this.readOnly);
    this.roleNote.textContent = this.readOnly || "";
    // status line
    let status;
    const ended = this.alliance && this.alliance.status !== "active" ? this.alliance.status : null;
    if (neg.status === "agreed") status = ended ? t("neg.agreed_since_ended", { status: t(`alliance.status_${ended}`) }) : t("neg.agreed");
    else if (neg.status === "failed") status = neg.outcome_reason === "walked_away"
      ? t(neg.walked_away_by === this.me ? "neg.failed_we_walked" : "neg.failed_they_walked", { partner: pn })
      : t("neg.failed_deadline");
    else if (!standing) status = offers.length ? t("neg.table_empty") : t(this.texts.no_offer);
    else if (standing.by === this.me) status = t("neg.our_offer_standing", { n: standing.n, partner: pn });
    else status = t("neg.their_offer_standing", { n: standing.n, partner: pn });
    say(this.status, status);
    this.el.dataset.status = neg.status;
    // standing offer or agreed terms
    clear(this.standing);
    const prevOf = (o) => {
      const i = offers.indexOf(o);
      return i > 0 ? offers[i - 1].terms : null;
    };
    if (neg.status === "agreed") {
      const last = offers[offers.length - 1];
      this.standing.append(h("div", { class: "card agreed", "data-testid": "agreed-terms" },
        h("h3", {}, h("span", { "aria-hidden": "true", text: "✓ " }), t("neg.agreed_terms")),
        termSummary(last.terms, this.me, this.partner, this.dn, pn)));
    } else if (standing) {
      const theirs = standing.by !== this.me;
      const card = h("div", { class: ["card", "offer", theirs ? "theirs" : "ours"], "data-testid": "standing-offer" },
        h("h3", { text: theirs ? t("neg.their_offer", { n: standing.n, partner: pn }) : t("neg.our_offer", { n: standing.n }) }),
        termSummary(standing.terms, this.me, this.partner, this.dn, pn, prevOf(standing)));
      if (theirs && act) {
        card.append(h("div", { class: "actions" },
          h("button", { type: "button", class: "primary", text: t("neg.accept"), "data-testid": "accept",
                        on: { click: () => this.answer("accept") } }),
          h("button", { type: "button", class: "secondary", text: t("neg.counter"), "data-testid": "counter",
                        on: { click: () => this.startCounter(standing) } }),
          h("button", { type: "button", class: "secondary", text: t("neg.reject"), "data-testid": "reject",
                        on: { click: () => this.answer("reject") } })));
      }
      this.standing.append(card);
    }
    // editor: offer when the table is empty or holds our own offer; counter when theirs
    this.editorBox.hidden = !act;
    this.walkBtn.hidden = !act;
    const theirs = !!(standing && standing.by !== this.me);
    if (open) this.editor.setMode(theirs ? "counter" : "offer");
    if (theirs !== this.lastTheirs) {
      // their offer on the table: the editor folds away until "Counter…" (short pages on phones)
      this.editorBox.open = !theirs;
      this.editorTitle.textContent = theirs ? t("neg.editor_counter_title") : t("neg.editor_title");
      this.lastTheirs = theirs;
    }
    // history
    clear(this.history);
    this.history.append(h("summary", { text: t("neg.history", { n: offers.length }) }));
    const ol = h("ol", { class: "offers" });
    for (const o of offers) {
      ol.append(h("li", {},
        h("strong", { text: t(o.by === this.me ? "neg.hist_ours" : "neg.hist_theirs", { n: o.n, partner: pn, kind: t(`neg.kind_${o.kind}`) }) }),
        " ", h("span", { class: "tag", text: t(`neg.offer_status_${o.status.replace(/-/g, "_")}`) }),
        termSummary(o.terms, this.me, this.partner, this.dn, pn)));
    }
    this.history.append(ol);
  }

  startCounter(offer) {
    this.editorBox.open = true;
    this.editor.fill(offer.terms);
    this.editor.setMode("counter");
    this.editorTouched = true;
    this.editorBox.scrollIntoView({ behavior: "smooth", block: "start" });
    const first = this.editor.el.querySelector("input");
    if (first) first.focus();
    toast(t("neg.counter_loaded"));
  }

  async move(mode, terms) {
    const standing = this.neg.standing ? this.neg.offers.find((o) => o.n === this.neg.standing) : null;
    const action = standing && standing.by !== this.me ? "counter" : "offer";
    await this.socket.send("negotiate", { action, terms, negotiation: this.neg.id });
    toast(action === "counter" ? t("neg.counter_sent") : t("neg.offer_sent"), "ok", 4000, { topic: `deal-${this.neg.id}` });
    moveFocus(this.status);  // "Your offer #n is on the table": what just happened
  }

  async answer(action) {
    try {
      await this.socket.send("negotiate", { action, negotiation: this.neg.id });
      toast(t(`neg.${action}_done`), "ok", 4000, { spoken: false, topic: `deal-${this.neg.id}` });  // the status line says it
      moveFocus(this.status);
    } catch (e) {
      toast(errorText(e), "error");
    }
  }

  async walkAway() {
    const ok = await confirmDialog({ title: t("neg.walk_confirm_title"), body: t("neg.walk_confirm_body"),
                                     ok: t("neg.walk_away"), cancel: t("common.cancel"), danger: true });
    if (ok) await this.answer("walk_away");
  }
}

// The "How to play" tab: the rules in plain words, then one round worked through with the
// engine's own numbers for this firm (GET /api/web/guide, game_rules/guide.py), so the
// example stays right whatever the scenario or its parameters.
import { h, clear } from "./dom.js";
import { t, num, pct } from "./i18n.js";
import { api } from "./socket.js";

const RULES = ["goal", "round", "contribute", "absorb", "develop", "protect", "reveal", "tranches", "trust", "score"];

export class GuidePanel {
  constructor(token) {
    this.token = token;
    this.example = undefined;   // undefined: not asked yet; null: none for this firm
    this.outdating = false;     // whether what is learned from a faster partner goes out of date (model 3)
    this.firm = null;
    this.el = h("section", { class: "guide", "data-testid": "guide" });
  }

  /** Called when the tab is shown or the view changes; fetches the example once per firm. */
  update(view) {
    this.view = view;
    const firm = view && view.firm ? view.firm.id : null;
    if (firm !== this.firm) {
      this.firm = firm;
      this.example = undefined;
      this.load();
    }
    this.render();
  }

  async load() {
    const firm = this.firm;
    try {
      const r = await api("GET", "/api/web/guide", undefined, this.token);
      if (firm !== this.firm) return;
      this.example = r.example;
      this.outdating = r.outdating === true;
    } catch {
      this.example = null;
    }
    this.render();
  }

  render() {
    clear(this.el);
    this.el.append(h("h2", { class: "section-title", text: t("guide.title") }),
      h("p", { class: "lead", text: t("guide.intro") }));
    const list = h("dl", { class: "guide-rules" });
    for (const k of RULES) list.append(h("dt", { text: t(`guide.${k}_title`) }), h("dd", { text: this.rule(k) }));
    this.el.append(list, this.exampleBlock());
  }

  rule(k) {
    // the outdating sentence only where the session's model has it (model 3): a session kept
    // on model 2 must not be told of a mechanism it does not play
    return k === "absorb" && this.outdating ? `${t("guide.absorb")} ${t("guide.absorb_outdating")}` : t(`guide.${k}`);
  }

  exampleBlock() {
    const box = h("section", { class: "card guide-example", "data-testid": "guide-example" },
      h("h3", { text: t("guide.example_title") }));
    const x = this.example;
    if (!x) {
      box.append(h("p", { class: "muted", text: x === undefined ? t("common.loading") : t("guide.example_none") }));
      return box;
    }
    const dn = Object.fromEntries(((this.view && this.view.domains) || []).map((d) => [d.id, d.name]));
    const list = (m) => Object.entries(m || {}).map(([k, v]) => t("guide.points_in", { n: num(v, 1), domain: dn[k] || k })).join(", ") || "–";
    const gains = (m) => Object.entries(m || {}).map(([k, v]) => t("guide.gain_in", { n: num(v, 2), domain: dn[k] || k })).join(", ") || "–";
    const p = x.plan;
    const focus = dn[x.focus] || x.focus;
    box.append(
      h("p", { class: "hint", text: t("guide.example_setup") }),
      h("ol", { class: "guide-steps" },
        h("li", { text: t("guide.ex_plan", { budget: num(x.budget, 0), contribute: list(p.contribute), absorb: list(p.absorb),
                                             develop: list(p.develop), protect: num(p.protect, 0), reveal: pct(p.reveal), kept: num(p.kept, 0) }) }),
        h("li", { text: t("guide.ex_value", { own: num(x.effective_contribution.own, 1), partner: num(x.effective_contribution.partner, 1),
                                              value: num(x.joint_value, 1), share: pct(x.share), received: num(x.value_received, 1) }) }),
        h("li", { text: t("guide.ex_cash", { value: num(x.cash.value, 1), market: num(x.cash.market, 1), kept: num(x.cash.kept, 1),
                                             total: num(x.cash.value + x.cash.market + x.cash.kept, 1) }) }),
        x.focus ? h("li", { text: t("guide.ex_learn", { domain: focus, before: num(x.competence_before, 0), partner: num(x.partner_competence, 0),
                                                        absorb: num(p.absorb[x.focus] || 0, 1), learned: num(x.learned, 2),
                                                        more: num(x.more_absorb[x.focus] || 0, 1), more_learned: num(x.more_learned, 2) }) }) : null,
        h("li", { text: t("guide.ex_develop", { developed: gains(x.developed),
                                                before: num(x.position_before, 2), after: num(x.position_after, 2) }) }),
        h("li", { text: t("guide.ex_trust", { trust: num(x.trust_after * 100, 0) }) })),
      h("p", { class: "hint", text: t("guide.example_moral") }));
    return box;
  }
}

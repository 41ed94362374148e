// A renegotiation window (session option `renegotiation_every`, game_rules/session/renegotiating.py):
// on the player's Deal tab, each alliance of the firm with the terms in force, the firm's own
// dependency on its partner and the same negotiation panel as the first negotiation (offer,
// counter, accept, reject; "walk away" keeps the current terms); on the console, every pair
// with both partners' dependencies.
import { h, clear, confirmDialog } from "./dom.js";
import { t, pct } from "./i18n.js";
import { NegotiationPanel, termSummary } from "./termsheet.js";

export class RenegotiationPanel {
  constructor({ socket, me, domains, budget, rounds }) {
    Object.assign(this, { socket, me, domains, budget, rounds });
    this.dn = Object.fromEntries(domains.map((d) => [d.id, d.name]));
    this.el = h("div", { "data-testid": "renegotiation" });
    this.panels = new Map();
  }

  update(w) {
    clear(this.el);
    for (const pair of w.alliances) {
      const partner = pair.partner;
      const head = h("section", { class: "card", "data-testid": `reneg-${pair.id}` },
        h("h2", { text: t("reneg.title", { partner: partner.name }) }),
        h("p", { text: t("reneg.intro", { n: w.round, from: w.applies_from, partner: partner.name }) }),
        h("p", { "data-testid": "reneg-dependency" }, h("strong", { text: t("reneg.dependency", { partner: partner.name, pct: pct(pair.dependency) }) }),
          " ", t("reneg.dependency_hint")),
        h("h3", { text: t("reneg.current") }),
        termSummary(pair.terms, this.me, partner.id, this.dn, partner.name));
      if (pair.renegotiated) head.append(h("p", { class: "ok", role: "status", "data-testid": "reneg-outcome", text: t("reneg.agreed", { n: w.applies_from }) }));
      else if (pair.status !== "open" || !w.open) head.append(h("p", { class: "muted", role: "status", "data-testid": "reneg-outcome", text: t("reneg.kept") }));
      this.el.append(head);
      if (pair.status === "open" && w.open) this.el.append(this.panel(pair).el);
    }
  }

  /** The first negotiation's panel, started from the terms in force. */
  panel(pair) {
    let p = this.panels.get(pair.id);
    if (!p) {
      p = new NegotiationPanel({ socket: this.socket, me: this.me, domains: this.domains, budget: this.budget, rounds: this.rounds,
                                 texts: { no_offer: "reneg.no_offer_yet", editor_hint: "reneg.editor_hint", reset: "reneg.reset" } });
      p.walkAway = async () => {
        const ok = await confirmDialog({ title: t("reneg.keep_title"), body: t("reneg.keep_body", { partner: pair.partner.name }),
                                         ok: t("reneg.keep"), cancel: t("common.cancel") });
        if (ok) await p.answer("walk_away");
      };
      this.panels.set(pair.id, p);
    }
    p.update({ ...pair, default_terms: pair.terms });
    p.setContext({ partnerName: pair.partner.name, defaults: pair.terms });
    if (p.walkBtn) p.walkBtn.textContent = t("reneg.keep");
    // the alliance's shape (scope, form, duration) and the upfront payment stay as signed
    const fixed = new Set([t("terms.scope"), t("terms.upfront_payment"), t("terms.form"), t("terms.duration")]);
    for (const fs of p.editor ? p.editor.el.querySelectorAll("fieldset") : []) {
      const legend = fs.querySelector("legend");
      if (legend && fixed.has(legend.textContent)) fs.disabled = true;
    }
    return p;
  }
}

/** The console's table of a window: each pair, both dependencies (lower: the stronger hand), where it stands. */
export function renegotiationTable(w, firmName) {
  const status = (p) => (p.renegotiated ? t("reneg.status_agreed", { n: w.applies_from })
    : p.status === "open" && w.open ? (p.standing ? t("reneg.status_offer", { firm: firmName(p.offers[p.standing - 1].by) }) : t("reneg.status_open"))
      : t("reneg.status_kept"));
  return h("section", { "data-testid": "console-renegotiation" },
    h("h3", { text: w.open ? t("reneg.console_title", { n: w.round, from: w.applies_from }) : t("reneg.console_closed", { n: w.round }) }),
    h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("console.negotiation") }), h("th", { scope: "col", text: t("reneg.dependencies") }),
        h("th", { scope: "col", text: t("reneg.split_now") }), h("th", { scope: "col", text: t("console.status") }))),
      h("tbody", {}, w.alliances.map((p) => h("tr", { "data-testid": `reneg-row-${p.id}` },
        h("th", { scope: "row", text: p.firms.map(firmName).join(" ⇄ ") }),
        h("td", { text: p.firms.map((f) => `${firmName(f)} ${pct(p.dependency[f])}`).join(" · ") }),
        h("td", { text: p.firms.map((f) => `${firmName(f)} ${pct(p.terms.split[f])}`).join(" · ") }),
        h("td", { text: status(p) }))))));
}

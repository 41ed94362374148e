// The partner-selection board on the player's page (selection phase): what the other firms
// show of themselves, proposals in and out, and, for a go-between firm, introductions.
// Every move is a `select` command; the server answers with the firm's new board.
import { h, clear, toast } from "./dom.js";
import { t, num, errorText } from "./i18n.js";

export class SelectionPanel {
  constructor({ socket, domains, roleName }) {
    this.socket = socket;
    this.domainName = Object.fromEntries(domains.map((d) => [d.id, d.name]));
    this.roleName = roleName;
    this.board = null;
    this.busy = false;
    this.el = h("section", { class: "selection", "data-testid": "selection", "aria-labelledby": "sel-title" });
  }

  firmName(fid) {
    const b = this.board;
    if (b && b.own_profile.firm === fid) return b.own_profile.name;
    const p = b && b.profiles[fid];
    return p ? p.name : fid;
  }

  update(board) {
    this.board = board;
    const b = board;
    clear(this.el);
    this.el.append(h("h1", { class: "section-title", id: "sel-title", text: t("sel.title") }));
    if (b.closed) {
      this.el.append(h("p", { class: "muted", role: "status", "data-testid": "sel-closed", text: t("sel.closed") }));
      return;
    }
    this.el.append(h("p", { class: "lead", "data-testid": "sel-lead",
      text: b.go_between ? t("sel.lead_go_between", { n: b.introductions_left }) : t("sel.lead", { n: b.capacity }) }));
    const incoming = b.proposals_in.filter((p) => p.status === "pending");
    if (incoming.length) this.el.append(this.incomingCard(incoming));
    if (b.go_between) this.el.append(this.introduceCard());
    this.el.append(this.profilesCard(), this.ownCard());
  }

  async move(fields, done) {
    if (this.busy) return;
    this.busy = true;
    try {
      const r = await this.socket.send("select", fields);
      if (r && r.selection) this.update(r.selection);
      if (done) toast(done, "ok");
    } catch (e) {
      toast(errorText(e), "error", 6000);
    } finally {
      this.busy = false;
    }
  }

  incomingCard(list) {
    return h("section", { class: "card", "data-testid": "sel-incoming" },
      h("h2", { text: t("sel.incoming") }),
      h("ul", { class: "sel-list" }, list.map((p) => h("li", { "data-testid": `sel-in-${p.sender}` },
        h("span", { text: p.introduced_by ? t("sel.from_introduced", { firm: this.firmName(p.sender), by: this.firmName(p.introduced_by) })
                                          : t("sel.from", { firm: this.firmName(p.sender) }) }),
        h("span", { class: "actions" },
          h("button", { type: "button", class: "primary", "data-testid": `sel-accept-${p.sender}`, text: t("sel.accept"),
                        on: { click: () => this.move({ action: "accept", proposal: p.id }, t("sel.accepted_done", { firm: this.firmName(p.sender) })) } }),
          h("button", { type: "button", "data-testid": `sel-decline-${p.sender}`, text: t("sel.decline"),
                        on: { click: () => this.move({ action: "decline", proposal: p.id }, t("sel.declined_done")) } }))))));
  }

  /** The latest proposal between this firm and `fid`, either way. */
  between(fid) {
    const b = this.board;
    const all = [...b.proposals_out.filter((p) => p.receiver === fid), ...b.proposals_in.filter((p) => p.sender === fid)];
    return all.sort((x, y) => y.id - x.id)[0] || null;
  }

  profilesCard() {
    const b = this.board;
    const firms = Object.values(b.profiles).sort((x, y) => x.name.localeCompare(y.name));
    const rows = firms.map((p) => {
      const last = this.between(p.firm);
      const open = last && (last.status === "pending" || last.status === "accepted");
      const status = last ? h("p", { class: "tag", "data-testid": `sel-status-${p.firm}`,
        text: t(`sel.status_${last.status}`, { firm: p.name }) }) : null;
      const propose = b.go_between ? null : h("button", { type: "button", class: "primary", "data-testid": `sel-propose-${p.firm}`,
        text: t("sel.propose"), disabled: open || b.capacity < 1,
        on: { click: () => this.move({ action: "propose", to: p.firm }, t("sel.proposed_done", { firm: p.name })) } });
      return h("li", { class: "card profile", "data-testid": `sel-profile-${p.firm}` },
        h("h3", {}, p.name, this.roleName(p.role) !== p.name ? h("span", { class: "muted", text: ` (${this.roleName(p.role)})` }) : null),
        this.values(p), status, propose);
    });
    return h("section", { class: "card" }, h("h2", { text: b.go_between ? t("sel.dossiers") : t("sel.others") }),
      h("p", { class: "hint", text: t("sel.values_hint") }),
      rows.length ? h("ul", { class: "sel-profiles" }, rows) : h("p", { class: "muted", text: t("sel.nobody") }));
  }

  values(p) {
    return h("div", {},
      h("dl", { class: "sel-values" }, Object.entries(p.values).map(([d, v]) => [
        h("dt", { text: this.domainName[d] || d }), h("dd", { text: num(v, 0) })])),
      p.hidden.length ? h("p", { class: "hint", text: t("sel.hidden", { list: p.hidden.map((d) => this.domainName[d] || d).join(", ") }) }) : null);
  }

  ownCard() {
    const own = this.board.own_profile;
    return h("details", { class: "card", "data-testid": "sel-own" }, h("summary", { text: t("sel.own") }), this.values(own));
  }

  introduceCard() {
    const b = this.board;
    const firms = Object.values(b.profiles).sort((x, y) => x.name.localeCompare(y.name));
    const pick = (id) => h("select", { id, "data-testid": id },
      h("option", { value: "", text: t("sel.pick") }), firms.map((p) => h("option", { value: p.firm, text: p.name })));
    const a = pick("sel-intro-a");
    const c = pick("sel-intro-b");
    const made = b.introduced.map((p) => h("li", { text: t(`sel.intro_${p.status}`, { a: this.firmName(p.sender), b: this.firmName(p.receiver) }) }));
    return h("section", { class: "card", "data-testid": "sel-introduce" },
      h("h2", { text: t("sel.introduce_title") }),
      h("div", { class: "field" }, h("label", { for: "sel-intro-a", text: t("sel.first") }), a),
      h("div", { class: "field" }, h("label", { for: "sel-intro-b", text: t("sel.second") }), c),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", "data-testid": "sel-introduce-send",
        text: t("sel.introduce"), disabled: b.introductions_left < 1, on: { click: () => {
          if (!a.value || !c.value || a.value === c.value) { toast(t("sel.pick_two"), "error"); return; }
          this.move({ action: "introduce", firms: [a.value, c.value] },
                    t("sel.introduced_done", { a: this.firmName(a.value), b: this.firmName(c.value) }));
        } } })),
      made.length ? h("ul", { class: "sel-list" }, made) : null);
  }
}

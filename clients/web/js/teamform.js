// The console's teams panel, two parts: forming the teams in the lobby (`form_teams`: by
// arrival, random, balanced by a list of groups, or an uploaded list of firms; a preview
// says how the seats come out, then Apply), and the students asking to take their seat on a
// new device (`approve_seat` / `refuse_seat`). server/teams.py, server/seats.py.
import { h, replace, toast, confirmDialog } from "./dom.js";
import { t, errorText } from "./i18n.js";

const METHODS = ["arrival", "random", "balanced", "list"];
const MAX_FILE = 60000;  // characters: the control's limit (a class list is far smaller)

/** "13 students in 4 firms: 3 firms of 3 and 1 firm of 4" (empty firms said apart). */
export function shapeSentence(plan) {
  const players = Object.keys(plan.firms).length;
  const parts = plan.shape.filter(([size]) => size > 0)
    .map(([size, n]) => t(n === 1 ? "teams.part_one" : "teams.part", { n, size }));
  const last = parts.pop();
  const list = parts.length ? t("teams.and", { first: parts.join(", "), last }) : (last || "");
  return t("teams.shape", { players, firms: Object.keys(plan.sizes).length, parts: list });
}

export class TeamFormation {
  /** `console` gives `socket`, `control(action, fields)` and `firmName(id)`. Built once: the
   *  teams panel is redrawn on every status, this part (its file, its preview) survives. */
  constructor(console) {
    this.console = console;
    this.plan = null;
    this.csv = null;
    this.method = h("select", { id: "form-method", "data-testid": "form-method" },
      METHODS.map((m) => h("option", { value: m, text: t(`teams.method_${m}`) })));
    this.file = h("input", { type: "file", id: "form-file", accept: ".csv,text/csv,text/plain", "data-testid": "form-file" });
    this.fileField = h("div", { class: "field" }, h("label", { for: "form-file", text: t("teams.file") }), this.file,
      h("p", { class: "hint", id: "form-file-hint" }));
    this.out = h("div", { class: "form-preview", "aria-live": "polite", "data-testid": "form-preview" });
    this.apply = h("button", { type: "button", class: "primary", text: t("console.form_apply"), "data-testid": "form-apply", disabled: true,
      on: { click: () => this.run(false) } });
    const preview = h("button", { type: "button", class: "secondary", text: t("console.form_preview"), "data-testid": "form-preview-go",
      on: { click: () => this.run(true) } });
    this.method.addEventListener("change", () => this.changed());
    this.file.addEventListener("change", () => this.read());
    this.el = h("details", { class: "card team-formation", "data-testid": "team-formation" },
      h("summary", { text: t("console.form_title") }),
      h("div", { class: "field" }, h("label", { for: "form-method", text: t("teams.method") }), this.method,
        h("p", { class: "hint", id: "form-method-hint", "data-testid": "form-method-hint" })),
      this.fileField, h("div", { class: "actions" }, preview, this.apply), this.out);
    this.changed();
  }

  changed() {
    const m = this.method.value;
    this.el.querySelector("#form-method-hint").textContent = t(`teams.hint_${m}`);
    this.fileField.hidden = !(m === "balanced" || m === "list");
    this.fileField.querySelector("#form-file-hint").textContent = t(m === "list" ? "teams.file_list" : "teams.file_groups");
    this.plan = null;
    this.apply.disabled = true;
    replace(this.out);
  }

  async read() {
    const f = this.file.files[0];
    this.csv = null;
    this.changed();
    if (!f) return;
    const text = await f.text();
    if (text.length > MAX_FILE) { replace(this.out, h("p", { class: "form-error", role: "alert", text: t("teams.too_big") })); return; }
    this.csv = text;
  }

  fields(preview) {
    const m = this.method.value;
    const f = { method: m, preview };
    if ((m === "balanced" || m === "list") && this.csv !== null) f.csv = this.csv;
    if (!preview && this.plan && this.plan.seed !== null && this.plan.seed !== undefined) f.seed = this.plan.seed;  // the previewed draw
    return f;
  }

  async run(preview) {
    let r;
    try {
      r = await this.console.socket.send("control", { action: "form_teams", ...this.fields(preview) });
    } catch (e) {
      this.plan = null;
      this.apply.disabled = true;
      replace(this.out, h("p", { class: "form-error", role: "alert", "data-testid": "form-error" },
        errorText(e), e.code === "bad_team_list" ? ` ${e.message}` : ""));
      return;
    }
    this.plan = preview ? r : null;
    this.apply.disabled = !preview;
    this.show(r);
    if (!preview) toast(t("teams.applied", { n: r.moves.length }), "ok");
  }

  show(plan) {
    const empty = plan.empty || [];
    const unlisted = plan.unlisted || [];
    replace(this.out,
      h("p", { class: "ok", "data-testid": "form-shape", text: shapeSentence(plan) }),
      h("p", { text: plan.applied ? t("teams.moved", { n: plan.moves.length }) : t("teams.would_move", { n: plan.moves.length }) }),
      plan.seed !== null && plan.seed !== undefined ? h("p", { class: "muted", text: t("teams.seed", { seed: plan.seed }) }) : null,
      unlisted.length ? h("p", { class: "muted", "data-testid": "form-unlisted", text: t("teams.unlisted", { n: unlisted.length }) }) : null,
      empty.length ? h("p", { class: "waiting", "data-testid": "form-empty" }, t("teams.empty", {
        n: empty.length, firms: empty.map((f) => this.console.firmName(f)).join(", ") })) : null);
  }
}

/** The students asking for their seat on a new device: Approve / Refuse. */
export function seatRequests(console, requests) {
  if (!requests || !requests.length) return null;
  return h("section", { class: "card seat-requests", role: "status", "data-testid": "seat-requests" },
    h("h3", { text: t("teams.requests") }),
    h("ul", {}, requests.map((r) => h("li", { "data-testid": `seat-request-${r.request}` },
      h("span", { text: t("teams.request", { name: r.name, seat: r.seat_name }) }), " ",
      h("button", { type: "button", class: "primary small", text: t("console.seat_approve"), "data-testid": `approve-${r.request}`,
        on: { click: async () => {
          const ok = await confirmDialog({ title: t("teams.approve_title", { seat: r.seat_name }), body: t("teams.approve_body", { seat: r.seat_name }),
                                           ok: t("console.seat_approve"), cancel: t("common.cancel") });
          if (ok && await console.control("approve_seat", { request: r.request })) toast(t("teams.approved", { seat: r.seat_name }), "ok");
        } } }), " ",
      h("button", { type: "button", class: "secondary small", text: t("console.seat_refuse"), "data-testid": `refuse-${r.request}`,
        on: { click: async () => {
          if (await console.control("refuse_seat", { request: r.request })) toast(t("teams.refused", { name: r.name }), "ok");
        } } })))));
}

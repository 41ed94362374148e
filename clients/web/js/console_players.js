// The console's students, firm by firm: each row's controls (move, merge, allow a rejoin,
// remove, a role) and moving several students at once.
import { h, toast, confirmDialog, newId } from "./dom.js";
import { mergeButton } from "./seatmerge.js";
import { rolePicker } from "./rolepicker.js";
import { t } from "./i18n.js";

export function playerName(con, pid) {
  if (pid && pid.startsWith("bot:")) return t("common.bot");
  const p = con.view.status.players.find((x) => x.player_id === pid);
  return p ? p.name : pid;
}

/** Several students at once: tick them, pick a firm, move them all (one move_player each). */
export function moveMany(con, firms, players) {
  con.chosen = new Set([...(con.chosen || [])].filter((pid) => players.some((p) => p.player_id === pid)));
  const n = con.chosen.size;
  const target = h("select", { id: "move-many-firm", "data-testid": "move-many-firm", "aria-label": t("console.move_many_to") },
    firms.map((f) => h("option", { value: f.id, selected: f.id === con.moveManyTo, text: f.name })));
  target.addEventListener("change", () => { con.moveManyTo = target.value; });
  const go = h("button", { type: "button", class: "secondary", "data-testid": "move-many-go", disabled: !n,
    text: t("console.move_many", { n }), on: { click: async () => {
      const to = target.value;
      let moved = 0;
      for (const pid of [...con.chosen]) {
        const p = players.find((x) => x.player_id === pid);
        if (!p || p.firm === to) continue;
        if (await con.control("move_player", { player: pid, firm: to })) moved += 1;
      }
      con.chosen.clear();
      toast(t("console.moved_many", { n: moved, firm: con.firmName(to) }), "ok");
      con.renderStatus();
    } } });
  return h("div", { class: "actions move-many", "data-testid": "move-many" },
    h("label", { for: "move-many-firm", text: t("console.move_many_label", { n }) }), target, go);
}

/** A student's row under its firm: pick for a group move, move, merge, allow a rejoin, remove. */
export function playerRow(con, p, firms) {
  const id = newId("mv");
  const pick = h("input", { type: "checkbox", class: "pick", "data-testid": `pick-${p.player_id}`, checked: (con.chosen || new Set()).has(p.player_id),
    "aria-label": t("console.pick_label", { name: p.name }), on: { change: () => {
      if (pick.checked) con.chosen.add(p.player_id); else con.chosen.delete(p.player_id);
      const n = con.chosen.size;
      const go = con.teams.querySelector("[data-testid=move-many-go]");
      go.disabled = !n;
      go.textContent = t("console.move_many", { n });
      con.teams.querySelector("label[for=move-many-firm]").textContent = t("console.move_many_label", { n });
    } } });
  const want = (con.picked && con.picked.get(p.player_id)) || p.firm;
  const sel = h("select", { id, "aria-label": t("console.move_label", { name: p.name }), "data-testid": `move-${p.player_id}`, "data-player": p.player_id },
    firms.map((f) => h("option", { value: f.id, selected: f.id === want, text: f.name })));
  const go = h("button", { type: "button", class: "secondary small", text: t("console.move"), "data-testid": `move-go-${p.player_id}`,
    on: { click: async () => {
      if (sel.value === p.firm) return;
      const r = await con.control("move_player", { player: p.player_id, firm: sel.value });
      if (r) toast(t("console.moved", { name: p.name, firm: con.firmName(sel.value) }), "ok");
    } } });
  const remove = h("button", { type: "button", class: "secondary small danger", text: t("console.remove"),
    "data-testid": `remove-${p.player_id}`, "aria-label": t("console.remove_label", { name: p.name }),
    on: { click: async () => {
      const ok = await confirmDialog({ title: t("console.remove_title", { name: p.name }), body: t("console.remove_body"),
                                       ok: t("console.remove"), cancel: t("common.cancel"), danger: true });
      if (ok && await con.control("remove_player", { player_id: p.player_id })) toast(t("console.removed", { name: p.name }), "ok");
    } } });
  const rejoin = p.label ? h("button", { type: "button", class: "secondary small", text: t("console.allow_rejoin"),
    "data-testid": `rejoin-${p.player_id}`, "aria-label": t("console.allow_rejoin_label", { name: p.name }),
    on: { click: async () => {
      if (await con.control("allow_rejoin", { player_id: p.player_id })) toast(t("console.rejoin_allowed", { name: p.name }), "ok");
    } } }) : null;
  const merge = mergeButton(p, con.view.status.players, (a, f) => con.control(a, f), (f) => con.firmName(f));
  const role = rolePicker(p, con.view.status.firm_roles, (a, f) => con.control(a, f));
  return h("li", { class: p.connected ? "online" : "offline", "data-testid": "player-row" },
    pick, " ", h("span", { class: "dot", "aria-hidden": "true", text: p.connected ? "●" : "○" }), " ",
    h("span", { class: "member-name", text: p.name }), p.label ? h("span", { class: "muted", text: ` (${p.label})` }) : null,
    // a client that declared itself a bot at the join (the export flags its rows `is_bot`)
    p.is_bot ? h("span", { class: "tag", "data-testid": `bot-tag-${p.player_id}`, text: t("console.bot_player"),
                           title: t("console.bot_player_title") }) : null,
    h("span", { class: "sr-status", text: ` ${p.connected ? t("player.online") : t("player.offline")}` }),
    h("span", { class: "move" }, role, sel, go, rejoin, merge, remove));
}

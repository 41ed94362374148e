// "These two rows are one person" (console, Teams): a student joined again on a new device
// under another spelling and got a second row. The facilitator merges the row of the device
// in the student's hand into the seat it belongs to (control `merge_players`): the seat keeps
// its firm and name and goes on on that device; the seat's earlier device is signed out.
// (A row whose device is no longer used is simply removed instead.)
import { t } from "./i18n.js";
import { h, toast, choiceDialog, newId } from "./dom.js";

/** The "Merge…" button of row `p` (`players`: the roster; `control`: the console's control
 *  sender, resolving to its result or null; `firmName`: a firm id's name). Null for a bot's
 *  row or a roster of one. */
export function mergeButton(p, players, control, firmName) {
  const others = players.filter((o) => o.player_id !== p.player_id && !o.is_bot);
  if (p.is_bot || !others.length) return null;
  return h("button", { type: "button", class: "secondary small", text: t("console.merge"),
    "data-testid": `merge-${p.player_id}`, "aria-label": t("console.merge_label", { name: p.name }),
    on: { click: () => askAndMerge(p, others, control, firmName) } });
}

async function askAndMerge(p, others, control, firmName) {
  const id = newId("merge");
  const into = h("select", { id, "data-testid": "merge-into" },
    others.map((o) => h("option", { value: o.player_id, text: `${o.name} (${firmName(o.firm)})` })));
  const pick = h("p", {}, h("label", { for: id, text: t("console.merge_into", { name: p.name }) }), " ", into);
  const ok = await choiceDialog({ title: t("console.merge_title", { name: p.name }),
    body: [t("console.merge_body", { name: p.name }), pick], cancel: t("common.cancel"),
    choices: [{ value: "merge", text: t("console.merge_go"), cls: "danger", testid: "confirm-ok" }] });
  if (ok !== "merge") return;
  const seat = others.find((o) => o.player_id === into.value);
  if (await control("merge_players", { player_id: seat.player_id, duplicate_id: p.player_id })) {
    toast(t("console.merged", { name: p.name, seat: seat.name }), "ok");
  }
}

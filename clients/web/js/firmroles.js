// Roles inside a firm (sessions with `firm_roles`, docs/facilitator.md): the negotiator makes
// the negotiation moves, the gatekeeper sets protect and reveal, the learner sets absorb;
// everyone drafts the rest and sees everything. A role nobody holds is everyone's. The view's
// `firm_roles.holders` says who holds what (role -> player id or null); the server refuses
// what a player's role does not allow (`not_your_role`): this module only shows it.
import { t, errorText } from "./i18n.js";
import { h, newId, toast } from "./dom.js";

export const ROLES = ["negotiator", "gatekeeper", "learner"];
// the decision form's groups a role controls (game_rules/session/firm_roles.py FIELDS)
const GROUP_ROLE = { protect: "gatekeeper", reveal: "gatekeeper", absorb: "learner" };

const holders = (view) => (view && view.firm_roles && view.firm_roles.holders) || null;
export const roleName = (role) => t(`roles.${role}`);

/** Whether this player may do what `role` controls (roles off, the holder, or nobody holds it). */
export function mayRole(view, role) {
  const hd = holders(view);
  return !hd || !hd[role] || hd[role] === view.me.player_id;
}

/** The roles `pid` holds (empty without roles). */
export function rolesOf(view, pid) {
  const hd = holders(view);
  return hd ? ROLES.filter((r) => hd[r] === pid) : [];
}

/** Tags naming a member's roles (the Firm tab's team list). */
export function roleTags(view, pid) {
  return rolesOf(view, pid).map((r) => h("span", { class: "tag role-tag", "data-testid": `role-${r}`, text: roleName(r) }));
}

/** The Firm tab's roles card: what each role does, who holds it, and the firm's own swaps
 *  (take a free role with empty hands, hand one's role to a teammate). Null without roles. */
export function rolesCard(view, send, nameOf) {
  const hd = holders(view);
  if (!hd) return null;
  const me = view.me.player_id;
  const mine = rolesOf(view, me);
  const mates = (view.team || []).filter((m) => m.player_id !== me);
  const rows = ROLES.map((r) => h("li", { "data-testid": `holder-${r}` }, h("strong", { text: roleName(r) }), ": ",
    hd[r] ? nameOf(hd[r]) : t("roles.free"), " ", h("span", { class: "muted", text: t(`roles.does_${r}`) }),
    !hd[r] && !mine.length ? h("button", { type: "button", class: "secondary small", "data-testid": `take-${r}`,
      text: t("roles.take"), "aria-label": t("roles.take_label", { role: roleName(r) }),
      on: { click: () => change(send, { action: "take", role: r }, t("roles.taken", { role: roleName(r) })) } }) : null));
  return h("section", { class: "card roles", "data-testid": "firm-roles" }, h("h2", { text: t("roles.title") }),
    h("p", { "data-testid": "my-roles", text: mine.length ? t("roles.yours", { roles: mine.map(roleName).join(", ") }) : t("roles.none_yours") }),
    h("ul", { class: "plain" }, rows), h("p", { class: "hint", text: t("roles.intro") }),
    mine.length && mates.length ? mine.map((r) => handRow(r, mates, send)) : null);
}

function handRow(role, mates, send) {
  const id = newId("hand");
  const pick = h("select", { id, "data-testid": `hand-to-${role}` }, mates.map((m) => h("option", { value: m.player_id, text: m.name })));
  return h("p", { class: "hand-row" }, h("label", { for: id, text: t("roles.hand_label", { role: roleName(role) }) }), " ", pick, " ",
    h("button", { type: "button", class: "secondary small", "data-testid": `hand-${role}`, text: t("roles.hand"), on: { click: () => {
      const to = mates.find((m) => m.player_id === pick.value);
      change(send, { action: "hand", role, to: to.player_id }, t("roles.handed", { name: to.name, role: roleName(role) }));
    } } }));
}

async function change(send, fields, done) {
  try {
    await send("role", fields);
    toast(done, "ok");
  } catch (e) {
    toast(errorText(e), "error");
  }
}

/** The round form: mark each group a role controls (whose it is) and lock the ones this
 *  player's role does not control, saying why. Returns the set of locked groups. */
export function markRoleGroups(form, view, nameOf) {
  const locked = new Set();
  const hd = holders(view);
  if (!hd) return locked;
  for (const [group, role] of Object.entries(GROUP_ROLE)) {
    const set = form.querySelector(`fieldset[data-group="${group}"]`);
    if (!set) continue;
    const mine = hd[role] === view.me.player_id;
    const legend = set.querySelector("legend");
    if (hd[role] && legend && !legend.querySelector(".role-tag")) {
      legend.append(" ", h("span", { class: ["tag", "role-tag", mine ? "mine" : null], "data-testid": `role-mark-${group}`,
        text: mine ? t("roles.your_field", { role: roleName(role) }) : t("roles.field_of", { role: roleName(role), name: nameOf(hd[role]) }) }));
    }
    if (mayRole(view, role)) continue;
    locked.add(group);
    set.dataset.roleLocked = "yes";
    if (!set.querySelector(".role-note")) {
      set.append(h("p", { class: "role-note", "data-testid": `role-note-${group}`,
        text: t("roles.locked", { name: nameOf(hd[role]), role: roleName(role) }) }));
    }
  }
  lockGroups(form, locked);
  return locked;
}

/** Disable the inputs of the locked groups (again after the form re-enables its controls). */
export function lockGroups(form, locked) {
  for (const group of locked) {
    for (const el of form.querySelectorAll(`fieldset[data-group="${group}"] :is(input, button, select)`)) el.disabled = true;
  }
}

/** The Deal tab: why this player sees the offers but cannot move (null when it may). */
export function negotiatorNote(view, nameOf) {
  if (mayRole(view, "negotiator")) return null;
  return t("roles.neg_locked", { name: nameOf(holders(view).negotiator) });
}

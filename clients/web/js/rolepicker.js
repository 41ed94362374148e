// Roles inside a firm on the console (sessions with `firm_roles`, docs/facilitator.md): the
// create form's switch, and a role picker on each player's row (control `assign_role`: the
// player takes the role from whoever held it; "No role" frees the player's roles, which are
// then everyone's in that firm). The row also names the roles the player holds now.
import { t } from "./i18n.js";
import { h, toast } from "./dom.js";

const ROLES = ["negotiator", "gatekeeper", "learner"];

/** The create form's "roles inside each firm" checkbox: {input, el}. */
export function rolesOption() {
  const input = h("input", { type: "checkbox", id: "c-firm-roles", "data-testid": "create-firm-roles" });
  return { input, el: h("label", { class: "check", for: "c-firm-roles" }, input, h("span", { text: t("create.firm_roles") })) };
}

/** Row `p`'s roles and picker (`firmRoles`: the status's firm -> role -> holder, absent when
 *  the session has no roles; `control`: the console's control sender). Null without roles. */
export function rolePicker(p, firmRoles, control) {
  if (!firmRoles || p.is_bot) return null;
  const held = firmRoles[p.firm] || {};
  const mine = ROLES.filter((r) => held[r] === p.player_id);
  const pick = h("select", { class: "role-pick", "data-testid": `role-pick-${p.player_id}`, "aria-label": t("console.role_pick", { name: p.name }),
    on: { change: async () => {
      const role = pick.value;
      if (!role) return;
      if (await control("assign_role", { player_id: p.player_id, role })) {
        toast(t(role === "none" ? "console.role_freed" : "console.role_assigned", { name: p.name, role: t(`roles.${role}`) }), "ok");
      }
      pick.value = "";
    } } },
    h("option", { value: "", text: t("console.role_placeholder") }),
    ROLES.map((r) => h("option", { value: r, text: t(`roles.${r}`) })),
    h("option", { value: "none", text: t("console.role_none") }));
  return [mine.map((r) => h("span", { class: "tag role-tag", "data-testid": `row-role-${p.player_id}-${r}`, text: t(`roles.${r}`) })), pick];
}

// "This name is already playing" (409 name_taken at the join): choose another name, or
// "this is me on a new device": the seat moves here with its rejoin code, or once the
// facilitator approves it on the console (server/seats.py). Never a second player.
import { h, replace } from "./dom.js";
import { t, errorText } from "./i18n.js";
import { api } from "./socket.js";

const POLL_MS = 2000;

/** The choice after name_taken. `body` is the refused join; `seated(r, body)` takes a join's
 *  answer with the seat; `another(message)` goes back to the join form. */
export function nameTaken(main, body, { seated, another }) {
  const err = h("p", { class: "form-error", role: "alert", "data-testid": "taken-error", text: "" });
  const code = h("input", { id: "taken-code", maxlength: 16, autocomplete: "off", autocapitalize: "characters",
                            spellcheck: "false", "data-testid": "taken-code", "aria-describedby": "taken-code-hint" });
  const ask = async (extra, btn) => {
    err.textContent = "";
    btn.disabled = true;
    try {
      const r = await api("POST", "/api/join", { ...body, ...extra });
      if (r.seat_request === "pending") waitForApproval(main, body, r, { seated, another });
      else seated(r, body);
    } catch (e) { err.textContent = errorText(e); btn.disabled = false; }
  };
  const take = h("button", { type: "submit", class: "primary big", text: t("taken.take"), "data-testid": "taken-take" });
  const viaFacilitator = h("button", { type: "button", class: "secondary", text: t("taken.ask_facilitator"), "data-testid": "taken-ask",
    on: { click: () => ask({ takeover: true }, viaFacilitator) } });
  const form = h("form", { class: "field", on: { submit: (e) => {
    e.preventDefault();
    if (!code.value.trim()) { err.textContent = t("taken.err_code"); code.focus(); return; }
    ask({ rejoin_code: code.value.trim() }, take);
  } } },
    h("label", { for: "taken-code", text: t("taken.code") }), code,
    h("p", { class: "hint", id: "taken-code-hint", text: t("taken.code_hint") }), h("div", { class: "actions" }, take));
  replace(main, h("div", { class: "narrow" }, h("section", { class: "card join taken", "aria-labelledby": "taken-title", "data-testid": "name-taken" },
    h("h1", { id: "taken-title", text: t("taken.title", { name: body.name }) }),
    h("p", { class: "lead", text: t("taken.lead") }),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", text: t("taken.another"), "data-testid": "taken-another",
      on: { click: () => another("") } })),
    h("h2", { text: t("taken.mine") }), form,
    h("p", { class: "hint", text: t("taken.no_code") }), h("div", { class: "actions" }, viaFacilitator), err)));
  code.focus();
}

function waitForApproval(main, body, r, { seated, another }) {
  let stopped = false;
  const cancel = h("button", { type: "button", class: "link", text: t("taken.cancel"), "data-testid": "taken-cancel",
    on: { click: () => { stopped = true; another(""); } } });
  replace(main, h("div", { class: "narrow" }, h("section", { class: "card", role: "status", "data-testid": "taken-waiting" },
    h("h1", { text: t("taken.waiting_title") }), h("p", { text: t("taken.waiting", { name: body.name }) }), cancel)));
  const poll = async () => {
    if (stopped) return;
    try {
      const st = await api("GET", `/api/sessions/${encodeURIComponent(r.session_id)}/seat_request`, undefined, r.player_token);
      if (st.seat_request === "approved") { seated({ ...st, player_token: r.player_token, rejoin_code: r.rejoin_code }, body); return; }
    } catch (e) {
      if (e.status && e.status !== 429 && e.status < 500) { another(errorText(e.code === "token_revoked" ? { code: "seat_refused" } : e)); return; }
    }
    setTimeout(poll, POLL_MS);  // pending, or the network hiccupped: ask again
  };
  setTimeout(poll, POLL_MS);
}

// ---- the rejoin code as a QR code (the first device) --------------------------------------------

const links = new Map();  // rejoin code -> {url, img} (asked once per code, the Firm tab redraws often)

/** The seat's rejoin code and, beside it, a QR code that opens the join page on a new device
 *  with everything filled in (POST /api/web/rejoin_link): one scan moves the seat. */
export function rejoinCode(creds) {
  const qr = h("figure", { class: "rejoin-qr", "data-testid": "rejoin-qr" });
  const show = (link) => {
    qr.dataset.url = link.url;
    replace(qr, h("img", { class: "qr small", src: link.img, alt: t("player.rejoin_qr_alt"), width: 140, height: 140 }),
      h("figcaption", { class: "hint", text: t("player.rejoin_qr") }));
  };
  const known = links.get(creds.rejoin_code);
  if (known) show(known);
  else {
    api("POST", "/api/web/rejoin_link", { rejoin_code: creds.rejoin_code }, creds.token).then((r) => {
      const link = { url: r.url, img: URL.createObjectURL(new Blob([r.qr_svg], { type: "image/svg+xml" })) };
      links.set(creds.rejoin_code, link);
      show(link);
    }).catch(() => { qr.hidden = true; });  // the typed code still works
  }
  return h("div", { class: "rejoin", "data-testid": "rejoin-code" },
    h("p", { class: "hint" }, t("player.rejoin_code"), " ", h("strong", { class: "code", text: creds.rejoin_code })), qr);
}

/** What a rejoin QR code put in the join link's fragment (`#name=..&rejoin=..`), or null;
 *  the fragment is dropped from the address bar so a reload does not move the seat again. */
export function rejoinFromLink() {
  const f = new URLSearchParams(location.hash.slice(1));
  const rejoin = f.get("rejoin");
  if (!rejoin) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return { rejoin, name: f.get("name") || "", label: f.get("label") || "" };
}

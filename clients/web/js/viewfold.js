// Fold the server's pushes into the full view they follow: the same table of push types as
// clients/python/view_fold.py (FOLDS), one entry per type, the same shapes
// (game_rules/session/views.py). tests/test_browser_view_fold.py runs a recorded session
// through both and compares. The pages (player.js, console.js, projector.js) fold with
// `applyPush`, then redraw what the push touched. After a round a player gets a `round_delta`:
// the new view as changes to the one held (game_rules/session/deltas.py, `patch` here); changes
// that do not fit throw a PatchError, and the page asks for a full view (`resync`).
//
//   view = applyPush(view, push)     // a new view; neither argument is changed
//   view = applyPush(view, delta, result)  // a round_delta citing its round's results (`results`,
//                                          // version 3): the round_result of that round got

export const ANNOUNCEMENTS_SHOWN = 20;
// a view carries each chat channel's last lines: this many unless it says `chat_keep`
export const CHAT_KEEP = 200;
export const DELTA_VERSION = 3; // the round_delta format this client reads (sent with `auth`); 2: `items`; 3: `results`
const CHAT_FIELDS = ["channel", "sender", "sender_name", "firm", "text", "time"];
const ANNOUNCEMENT_FIELDS = ["text", "event", "time"];
const CLOCK_FIELDS = ["running", "remaining", "deadline"];

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const pick = (m, keys) => Object.fromEntries(keys.map((k) => [k, k in m ? m[k] : null]));

/** A draft with `changed` merged in, one level deep: a map field merges key by key; null
 *  removes a field or a key (game_rules/decisions.py merge_draft). */
export function mergeDraft(draft, changed) {
  const out = {};
  for (const [k, v] of Object.entries(draft || {})) out[k] = isObject(v) ? { ...v } : v;
  for (const [k, v] of Object.entries(changed || {})) {
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const into = isObject(out[k]) ? out[k] : {};
      for (const [kk, vv] of Object.entries(v)) { if (vv === null) delete into[kk]; else into[kk] = vv; }
      out[k] = into;
    } else out[k] = v;
  }
  return out;
}

export class PatchError extends Error {}

/** `view` with a round delta's changes applied: `unset` keys, `set` keys, `append` items to a
 *  list, `sub` a nested object's own changes, `items` [index, changes] pairs of a list of
 *  objects (game_rules/session/deltas.py patch). */
export function patch(view, changes) {
  if (!isObject(view) || !isObject(changes)) throw new PatchError("changes apply to an object");
  const out = { ...view };
  for (const k of changes.unset || []) delete out[k];
  for (const [k, v] of Object.entries(changes.set || {})) out[k] = v;
  for (const [k, items] of Object.entries(changes.append || {})) {
    if (!Array.isArray(out[k])) throw new PatchError(`${k}: not a list to append to`);
    out[k] = [...out[k], ...items];
  }
  for (const [k, sub] of Object.entries(changes.sub || {})) {
    if (!isObject(out[k])) throw new PatchError(`${k}: not an object to change`);
    out[k] = patch(out[k], sub);
  }
  for (const [k, items] of Object.entries(changes.items || {})) {
    if (!Array.isArray(out[k]) || !Array.isArray(items)) throw new PatchError(`${k}: not a list to change item by item`);
    const list = [...out[k]];
    for (const pair of items) {
      if (!Array.isArray(pair) || pair.length !== 2 || !Number.isInteger(pair[0]) || pair[0] < 0 || pair[0] >= list.length) {
        throw new PatchError(`${k}: an item change is [index, changes] with an index of the list`);
      }
      list[pair[0]] = patch(list[pair[0]], pair[1]);
    }
    out[k] = list;
  }
  return out;
}

export const isFacilitator = (v) => "status" in v && !("me" in v);
const ownFirm = (v, firm) => (v.firm || {}).id === firm;

export const FOLDS = {
  // a draft push carries the change only: fold it into the draft held
  draft(v, m) {
    if (isFacilitator(v)) {
      const drafts = { ...(v.drafts || {}) };
      drafts[m.firm] = mergeDraft(drafts[m.firm] || {}, m.changed);
      return { ...v, drafts };
    }
    return ownFirm(v, m.firm) ? { ...v, draft: mergeDraft(v.draft || {}, m.changed) } : v;
  },
  // the reply to the player's own draft: the firm's draft as merged (the sender is not pushed it)
  ack(v, m) {
    if (m.duplicate) return v;
    const r = m.result;
    return "me" in v && isObject(r) && isObject(r.draft) ? { ...v, draft: r.draft } : v;
  },
  submitted(v, m) {
    if (isFacilitator(v) || !ownFirm(v, m.firm)) return v;
    if (m.practice) {  // round 0, the practice round: its own record, never the real round's
      return isObject(v.practice) ? { ...v, practice: { ...v.practice, submitted: { by: m.by, decision: m.decision } } } : v;
    }
    return { ...v, submitted: { by: m.by, decision: m.decision, source: "submitted" } };
  },
  chat(v, m) {
    const chat = { ...(v.chat || {}) };
    const line = Object.fromEntries(CHAT_FIELDS.filter((k) => k in m).map((k) => [k, m[k]]));
    const lines = [...(chat[m.channel] || []), line];
    // a full view holds a channel's last lines: keep as many (view_fold.py)
    const keep = v.chat_keep ?? CHAT_KEEP;
    chat[m.channel] = Number.isInteger(keep) && keep > 0 ? lines.slice(-keep) : lines;
    return { ...v, chat };
  },
  clock(v, m) {
    const clock = pick(m, CLOCK_FIELDS);
    return isFacilitator(v) ? { ...v, status: { ...(v.status || {}), clock } } : { ...v, clock };
  },
  negotiation(v, m) {
    const n = m.negotiation;
    const negs = v.negotiations;
    if (isObject(negs)) return { ...v, negotiations: { ...negs, [n.id]: n } }; // the facilitator's: by id
    const list = [...(negs || [])];
    const i = list.findIndex((old) => old.id === n.id);
    if (i >= 0) list[i] = { ...list[i], ...n }; // keeps the partner's name and the default terms
    else list.push(n);
    return { ...v, negotiations: list };
  },
  renegotiation: (v, m) => ({ ...v, renegotiation: m.renegotiation }), // a firm's or the facilitator's view of the window
  announcement(v, m) {
    let shown = [...(v.announcements || []), pick(m, ANNOUNCEMENT_FIELDS)];
    if (!isFacilitator(v)) shown = shown.slice(-ANNOUNCEMENTS_SHOWN);
    return { ...v, announcements: shown };
  },
  status: (v, m) => ({ ...v, status: m.status }),
  selection: (v, m) => ("selection" in m ? { ...v, selection: m.selection } : v),
  session_ended: (v) => (isObject(v.session) ? { ...v, session: { ...v.session, status: "ended" } } : v),
  // the new round's view as the changes to the one held (LiveSocket checks the `base`); `result`:
  // the round_result of the round the delta cites (`results`), whose events it left out
  round_delta(v, m, result) {
    if (m.version !== DELTA_VERSION) throw new PatchError(`round_delta version ${m.version}`);
    let changes = m.changes;
    if (m.results !== undefined && m.results !== null) {
      if (!isObject(result) || result.round !== m.results || !Array.isArray(result.events)) {
        throw new PatchError(`round_delta cites the results of round ${m.results}, not got`);
      }
      if (!isObject(changes)) throw new PatchError("changes apply to an object");
      const append = { ...(changes.append || {}) };
      append.history = [...result.events, ...(append.history || [])];
      changes = { ...changes, append };  // game_rules/session/deltas.py add_results
    }
    return patch(v, changes);
  },
};

/** The view after `push` (null until the first full view has come); `result`: for a
 *  round_delta that cites its round's results, that round's round_result as got. */
export function applyPush(view, push, result) {
  if (push.type === "view") return push.view;
  const fold = Object.prototype.hasOwnProperty.call(FOLDS, push.type) ? FOLDS[push.type] : null;
  if (!view && push.type === "round_delta") throw new PatchError("a round_delta before any full view");
  if (!view || !fold) return view;
  return fold(view, push, result);
}

// The live connection (docs/protocol.md), JSON text frames.
//
// - the first frame is `auth` with the token (never in the URL);
// - every command has an id; `send()` resolves with the ack's result or rejects with
//   {code, message}; commands not acknowledged when the socket drops are sent again with
//   the SAME id after reconnecting (the server never applies an id twice);
// - `seq` is checked: a gap asks for a full view (`resync`); so does a `round_delta` whose
//   `base` is not the number of views and round deltas this socket got before it (it is
//   not passed on: the full view follows);
// - a dropped socket reconnects by itself with backoff; `online` reconnects at once;
// - a `ping` every 20 s finds a dead socket that the browser has not noticed.
//
// Events (EventTarget): "state" {detail: "connecting"|"open"|"reconnecting"|"ended"|"denied"},
// "message" {detail: msg} for every server message except ack/error of commands.

import { DELTA_VERSION } from "./viewfold.js";

const BACKOFF_MIN = 500;
const BACKOFF_MAX = 8000;
const PING_EVERY = 20000;
const DEAD_AFTER = 45000;

/** The socket js/boot.js opened to `url` while the page downloaded (its handshake already on
 *  its way), taken once; null when there is none or it is closing. */
export function bootSocket(url) {
  const ws = window.__bootSocket;
  window.__bootSocket = null;
  window.__bootTaken = true;  // js/boot.js, should it run only now, opens nothing more
  if (ws && ws.url === url && ws.readyState <= WebSocket.OPEN) return ws;
  if (ws) ws.close();
  return null;
}

export class LiveSocket extends EventTarget {
  constructor(token, { url, language } = {}) {
    super();
    this.token = token;
    this.language = language || null;  // a player's page language, sent with every auth (logged when it changes)
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.state = "idle";
    this.ws = null;
    this.seq = 0;
    this.pending = new Map();   // id -> {frame, resolve, reject, sent}
    this.prefix = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/-/g, "").slice(0, 10);
    this.counter = 0;
    this.attempt = 0;
    this.timer = null;
    this.pinger = null;
    this.lastHeard = 0;
    this.offset = 0;            // server time - client time (seconds)
    this.welcome = null;
    this.held = null;           // events kept until the page listens (hold/release)
    this.stopped = false;
    window.addEventListener("online", () => { if (this.state === "reconnecting") this.reconnectNow(); });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.state === "reconnecting") this.reconnectNow();
    });
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.emit("state", s);
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.timer);
    this.setState(this.attempt ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = bootSocket(this.url);
      this.fromBoot = Boolean(ws);  // its handshake is already on its way
      ws = ws || new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.authed = false;
    ws.onopen = () => {
      this.seq = 0;
      this.views = 0; // views and round deltas got on this socket (a round_delta's `base`)
      ws.send(JSON.stringify({ type: "auth", token: this.token, client_time: Date.now() / 1000, deltas: DELTA_VERSION,
                              ...(this.language ? { language: this.language } : {}) }));
    };
    ws.onmessage = (ev) => this.onFrame(ws, ev.data);
    ws.onclose = () => this.onClose(ws);
    ws.onerror = () => { /* onclose follows */ };
    if (ws.readyState === WebSocket.OPEN) ws.onopen();  // js/boot.js's socket, already open
  }

  onFrame(ws, data) {
    if (ws !== this.ws) return;
    let msg;
    try { msg = JSON.parse(data); } catch { return; }
    this.lastHeard = Date.now();
    if (typeof msg.seq === "number") {
      const gap = this.seq && msg.seq !== this.seq + 1;
      this.seq = msg.seq;
      if (gap && this.authed) this.resync();
    }
    if (msg.type === "round_delta" || msg.type === "view") {
      const held = this.views;
      this.views += 1;
      if (msg.type === "round_delta" && msg.base !== held) { this.resync(); return; }
    }
    if (msg.type === "welcome") {
      this.authed = true;
      this.welcome = msg;
      this.offset = msg.server_time - Date.now() / 1000;
      this.attempt = 0;
      this.setState("open");
      this.startPinging();
      for (const [id, p] of this.pending) {
        if (p.frame.type === "ping" || p.frame.type === "resync") { this.pending.delete(id); p.resolve({}); }
        else this.transmit(p);  // the same id: the server applies it at most once
      }
    } else if ((msg.type === "ack" || msg.type === "error") && msg.id && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.type === "ack") p.resolve(msg.result || {});
      else p.reject({ code: msg.code, message: msg.message });
      return;
    } else if (msg.type === "error" && !this.authed) {
      if (msg.code === "bad_token" || msg.code === "token_expired" || msg.code === "token_revoked" || msg.code === "session_archived") {
        this.stopped = true;
        this.setState("denied");
        this.emit("denied", msg);
        ws.close();
        return;
      }
    } else if (msg.type === "session_ended") {
      this.stopped = true;
      clearInterval(this.pinger);  // the server closes the socket: nothing more to ping
      this.setState("ended");
    }
    this.emit("message", msg);
  }

  // A socket opened before its page listens (js/early.js) keeps its events, in order, until
  // the page calls release(): the welcome and the view that arrive first are not lost.
  hold() { this.held = this.held || []; }

  release() {
    const held = this.held || [];
    this.held = null;
    for (const [type, detail] of held) this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  emit(type, detail) {
    if (this.held) this.held.push([type, detail]);
    else this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  onClose(ws) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.authed = false;
    clearInterval(this.pinger);
    if (this.stopped) return;
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    this.attempt += 1;
    this.setState("reconnecting");
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** Math.min(this.attempt - 1, 6));
    const delay = base / 2 + Math.random() * base / 2;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    clearTimeout(this.timer);
    if (this.ws) { try { this.ws.close(); } catch { /* already closing */ } }
    else this.connect();
  }

  startPinging() {
    clearInterval(this.pinger);
    this.lastHeard = Date.now();
    this.pinger = setInterval(() => {
      if (!this.ws || !this.authed) return;
      if (Date.now() - this.lastHeard > DEAD_AFTER) { this.ws.close(); return; }
      this.send("ping").catch(() => {});
    }, PING_EVERY);
  }

  nextId() {
    this.counter += 1;
    return `${this.prefix}-${this.counter}`;
  }

  /** Send a command; resolves with the ack's result, rejects with {code, message}. */
  send(type, fields = {}) {
    const id = this.nextId();
    const frame = { type, id, ...fields, client_time: Date.now() / 1000 };
    for (const k of Object.keys(frame)) if (frame[k] === undefined) delete frame[k];
    return new Promise((resolve, reject) => {
      const p = { frame, resolve, reject };
      this.pending.set(id, p);
      if (this.authed) this.transmit(p);
    });
  }

  transmit(p) {
    // a socket the server is closing (the session ended, a seat moved) takes nothing: the
    // command stays pending and is sent again after the reconnect (Chromium logs an error
    // for a send on a CLOSING socket, and the frame would be lost anyway)
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    try { this.ws.send(JSON.stringify(p.frame)); } catch { /* resent after reconnect */ }
  }

  resync() {
    return this.send("resync").catch(() => {});
  }

  /** Server wall time now (seconds). */
  serverNow() {
    return Date.now() / 1000 + this.offset;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close();
  }
}

/** JSON over HTTP: resolves with the body, rejects with {code, message, status}. */
export async function api(method, path, body, token) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw { code: "network", message: String(e), status: 0 };
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = (data && data.error) || { code: res.status === 404 ? "not_found" : "http_error", message: res.statusText };
    throw { ...err, status: res.status };
  }
  return data;
}

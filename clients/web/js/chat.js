// Chat: the team channel (firm:<id>) and the partner channel (alliance:<id>).
// Every line is text: names and messages go in through textContent, never as HTML.
import { h, clear, newId } from "./dom.js";
import { t, clockTime, errorText } from "./i18n.js";

export function chatLine(m, firmName, { showChannel = false, channelLabel } = {}) {
  const who = h("strong", { class: "chat-who", text: m.sender_name || m.sender });
  const meta = [];
  if (m.firm && firmName) meta.push(firmName(m.firm));
  if (showChannel && channelLabel) meta.push(channelLabel(m.channel));
  return h("li", { class: ["chat-line", m.sender === "facilitator" && "from-facilitator"], "data-testid": "chat-line" },
    h("div", { class: "chat-meta" }, who,
      meta.length ? h("span", { class: "chat-firm", text: ` · ${meta.join(" · ")}` }) : null,
      h("time", { class: "chat-time", text: m.time ? clockTime(m.time) : "" })),
    h("p", { class: "chat-text", text: m.text }));
}

export class ChatPanel {
  constructor({ socket, firmName, onUnread, me }) {
    this.socket = socket;
    this.me = me;  // this player's id: their own lines are not read out again
    this.firmName = firmName;
    this.onUnread = onUnread || (() => {});
    this.channels = [];       // [{id, to, label}]
    this.lines = new Map();   // channel -> [msg]
    this.unread = new Map();
    this.active = null;
    this.visible = false;
    // channel buttons (aria-pressed), not tabs: the one log below shows the chosen channel
    this.tabs = h("div", { class: "chat-tabs", role: "group", "aria-label": t("chat.channels") });
    // the log is redrawn whole on every view: not a live region (it would read every line
    // again); a new line from someone else is read once from `announcer`
    this.log = h("ol", { class: "chat-log", "aria-label": t("chat.title"), "data-testid": "chat-log" });
    this.announcer = h("p", { class: "sr-status", role: "status", "data-testid": "chat-announcer" });
    this.input = h("textarea", { rows: 2, maxlength: 2000, "aria-label": t("chat.message"), placeholder: t("chat.placeholder"),
                                 "data-testid": "chat-input" });
    this.sendBtn = h("button", { type: "submit", class: "primary", text: t("chat.send"), "data-testid": "chat-send" });
    this.err = h("p", { class: "form-error", role: "alert", "data-testid": "chat-error" });
    this.form = h("form", { class: "chat-form", on: { submit: (e) => { e.preventDefault(); this.send(); } } },
      this.input, this.sendBtn);
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.send(); }
    });
    this.empty = h("p", { class: "muted chat-empty", text: t("chat.empty") });
    this.el = h("section", { class: "chat", "aria-label": t("chat.title") },
      h("h2", { class: "section-title", text: t("chat.title") }), this.tabs, this.empty, this.log, this.announcer, this.err, this.form);
  }

  /** channels: [{id: "firm:west1", to: "firm", label}] */
  setChannels(channels) {
    const same = channels.length === this.channels.length && channels.every((c, i) => c.id === this.channels[i].id && c.label === this.channels[i].label);
    this.channels = channels;
    if (!this.active || !channels.some((c) => c.id === this.active)) this.active = channels[0] ? channels[0].id : null;
    if (!same) this.renderTabs();
    this.form.hidden = !this.active;
  }

  renderTabs() {
    const hadFocus = this.tabs.contains(document.activeElement);
    clear(this.tabs);
    for (const c of this.channels) {
      const n = this.unread.get(c.id) || 0;
      const b = h("button", { type: "button", class: "chat-tab", "aria-pressed": String(c.id === this.active),
                              "data-channel": c.to, "data-testid": `chat-tab-${c.to}`,
                              on: { click: () => this.select(c.id) } },
        c.label, n ? h("span", { class: "badge", text: t("chat.unread", { n }) }) : null);
      this.tabs.append(b);
      if (hadFocus && c.id === this.active) b.focus();  // the redraw must not drop focus to <body>
    }
  }

  select(id) {
    this.active = id;
    this.unread.set(id, 0);
    this.renderTabs();
    this.renderLog();
    this.reportUnread();
  }

  /** the full chat of a view: {channel: [lines]} */
  load(chat) {
    this.lines = new Map(Object.entries(chat || {}).map(([k, v]) => [k, [...v]]));
    this.renderLog();
  }

  add(m) {
    if (!this.lines.has(m.channel)) this.lines.set(m.channel, []);
    const list = this.lines.get(m.channel);
    if (list.some((x) => x.time === m.time && x.sender === m.sender && x.text === m.text)) return;
    list.push(m);
    if (m.channel === this.active) {
      this.log.append(chatLine(m, this.firmName));
      if (m.sender !== this.me) this.announcer.textContent = `${m.sender_name || m.sender}: ${m.text}`;
      this.empty.hidden = true;
      this.scrollDown();
    }
    if (m.channel !== this.active || !this.visible) {
      this.unread.set(m.channel, (this.unread.get(m.channel) || 0) + 1);
      this.renderTabs();
      this.reportUnread();
    }
  }

  setVisible(v) {
    this.visible = v;
    if (v) this.scrollDown();
    if (v && this.active) { this.unread.set(this.active, 0); this.renderTabs(); this.reportUnread(); }
  }

  reportUnread() {
    let n = 0;
    for (const v of this.unread.values()) n += v;
    this.onUnread(n);
  }

  renderLog() {
    clear(this.log);
    const list = this.lines.get(this.active) || [];
    for (const m of list) this.log.append(chatLine(m, this.firmName));
    this.empty.hidden = list.length > 0;
    this.scrollDown();
  }

  scrollDown() {
    // reading scrollHeight lays the whole page out: a hidden log waits until it is shown
    // (setVisible), so a page that opens on another tab does not pay for it (~0.1 s on a slow phone)
    if (this.visible) this.log.scrollTop = this.log.scrollHeight;
  }

  async send() {
    const text = this.input.value.trim();
    const ch = this.channels.find((c) => c.id === this.active);
    if (!text || !ch) return;
    this.err.textContent = "";
    // the box empties at once, so the next line can be typed while this one is on its way
    // (emptied at the ack, it erased what was typed meanwhile, and a disabled Send ignored
    // Enter); a refused line comes back to be fixed, unless something new was typed since
    this.input.value = "";
    this.input.focus();
    try {
      await this.socket.send("chat", { to: ch.to, text });
    } catch (e) {
      this.err.textContent = errorText(e);
      if (!this.input.value) this.input.value = text;
    }
  }
}

export const chatInputId = () => newId("chat");

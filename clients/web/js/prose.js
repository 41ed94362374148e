// Scenario prose (briefs, the case, the debrief questions) as every page shows it. The
// scenario files wrap their texts at about 90 columns; kept as they are, those line breaks
// cut sentences in the middle on every screen. Here a blank line starts a new paragraph,
// a line starting with "- " (or "* ", "• ") starts a list item that an indented line
// continues, and any other single line break is a space.
import { h } from "./dom.js";

/** The text as blocks: {kind: "p", text} or {kind: "ul", items: [text, ...]}. */
export function proseBlocks(text) {
  const blocks = [];
  const chunks = String(text ?? "").replace(/\r\n?/g, "\n").trim().split(/\n[ \t]*\n/);
  for (const chunk of chunks) {
    let para = null;
    let list = null;
    for (const raw of chunk.split("\n")) {
      const line = raw.trim();
      if (!line) continue;
      const item = /^[-*•]\s+(.*)$/.exec(line);
      if (item) {
        if (!list) { list = { kind: "ul", items: [] }; blocks.push(list); }
        list.items.push(item[1]);
        para = null;
      } else if (list && /^\s/.test(raw)) {
        list.items[list.items.length - 1] += ` ${line}`;  // an indented line continues the item
      } else if (para) {
        para.text += ` ${line}`;
      } else {
        list = null;
        para = { kind: "p", text: line };
        blocks.push(para);
      }
    }
  }
  return blocks;
}

/** The text as <p> and <ul> elements, built as text (never parsed as HTML). */
export function proseNodes(text) {
  return proseBlocks(text).map((b) => (b.kind === "p" ? h("p", { text: b.text })
    : h("ul", {}, b.items.map((item) => h("li", { text: item })))));
}

/** A <div class="prose"> holding the text's paragraphs and lists. */
export function prose(text, attrs = {}) {
  return h("div", { ...attrs, class: ["prose", attrs.class] }, proseNodes(text));
}

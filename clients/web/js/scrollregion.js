// A table wider than a phone scrolls sideways inside its own box, never the page. While it
// overflows, the box says so ("More columns: scroll sideways") and is a labelled region in
// the tab order, so a keyboard user can scroll it with the arrow keys; a shadow on the
// edge that hides columns shows there is more.
import { h } from "./dom.js";
import { t } from "./i18n.js";

// label -> whether that region overflowed when last measured: a table redrawn by a push (the
// console's live monitor, several times a second) starts as its predecessor was, instead of
// out of the tab order until the observer's first call on the next frame
const overflowed = new Map();

export function scrollRegion(table, label) {
  const cue = h("p", { class: "scroll-cue", hidden: true, "data-testid": "scroll-cue", text: t("common.scroll_more") });
  const box = h("div", { class: "table-wrap scroll-region", role: "region", "aria-label": label }, table);
  const show = (more) => {
    cue.hidden = !more;
    box.dataset.overflow = more ? "yes" : "no";
    if (more) box.tabIndex = 0; else box.removeAttribute("tabindex");
  };
  const check = () => {
    const more = box.scrollWidth > box.clientWidth + 1;
    overflowed.set(label, more);
    show(more);
  };
  if (overflowed.get(label)) show(true);
  const ro = new ResizeObserver(check);
  ro.observe(box);
  ro.observe(table);
  return h("div", { class: "scroll-wrap" }, cue, box);
}

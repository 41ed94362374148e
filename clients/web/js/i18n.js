// Every user-facing text lives in clients/web/i18n/<lang>.js; this module looks keys up,
// fills {placeholders} and formats numbers. To translate: copy en.js to xx.js, translate
// the values, and add it to CATALOGS.
import en from "../i18n/en.js";

const CATALOGS = { en };
const lang = (navigator.language || "en").slice(0, 2);
const messages = CATALOGS[lang] || en;
export const locale = CATALOGS[lang] ? navigator.language : "en";

/** t("join.title"), t("clock.left", {time: "3:10"}); a missing key shows the key itself. */
export function t(key, params) {
  let s = messages[key] ?? en[key];
  if (s === undefined) {
    console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] ?? m));
  return s;
}

export const has = (key) => key in messages || key in en;

/** A stable error code to a sentence; the server's own message as the fallback. */
export function errorText(err) {
  if (!err) return t("error.unknown");
  const key = `error.${err.code}`;
  return has(key) ? t(key) : (err.message || t("error.unknown"));
}

const nf = new Map();
function fmt(digits) {
  if (!nf.has(digits)) nf.set(digits, new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 }));
  return nf.get(digits);
}
export const num = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? "–" : fmt(digits).format(x));
export const pct = (x, digits = 0) => (x === null || x === undefined ? "–" : `${fmt(digits).format(x * 100)}%`);
export const signed = (x, digits = 1) => (x === null || x === undefined ? "–" : `${x > 0 ? "+" : x < 0 ? "−" : "±"}${fmt(digits).format(Math.abs(x))}`);
export const signedPct = (x, digits = 1) => (x === null || x === undefined ? "–" : `${x > 0 ? "+" : x < 0 ? "−" : "±"}${fmt(digits).format(Math.abs(x) * 100)}%`);

const ordinals = new Intl.PluralRules(locale, { type: "ordinal" });
/** 1 -> "1st", 3 -> "3rd" (the catalog's ord.<category> forms). */
export const ordinal = (n) => t(`ord.${ordinals.select(n)}`, { n });

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.ceil(seconds));
  const m = Math.floor(s / 60);
  const r = String(s % 60).padStart(2, "0");
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

export function clockTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

/** Fill [data-i18n] (textContent), [data-i18n-aria] (aria-label) and the title. */
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  const title = document.documentElement.dataset.i18nTitle;
  if (title) document.title = t(title);
  document.documentElement.lang = messages === en ? "en" : lang;
}

// Every user-facing text lives in clients/web/i18n/<lang>.js; this module chooses the
// language, loads only that language's file (and English, the fallback), looks keys up,
// fills {placeholders}, picks plural forms and formats numbers, times and dates with Intl.
// To add a language: docs/languages.md.
//
// The language, first match wins: the participant's own choice (the switcher, remembered in
// localStorage) > `?lang=` in the address (a join link carries the session's default) > the
// session's default this browser was told at the join > navigator.languages > English.
import en from "../i18n/en.js";

/** The shipped languages, by their own names (the switcher lists them in this order). */
export const LANGUAGES = { en: "English", fr: "Français", es: "Español", de: "Deutsch", zh: "中文", pt: "Português" };
// Pseudo-locales for layout tests, reachable only by ?lang= or the stored choice: en-XA is
// English accented and a third longer, en-XB is English laid out right to left.
const PSEUDO = { "en-xa": "en-XA", "en-xb": "en-XB" };
const RTL = new Set(["ar", "he", "fa", "ur", "en-XB"]);
const CHOICE_KEY = "alliance.lang";
const SESSION_KEY = "alliance.lang_session";

const read = (k) => { try { return localStorage.getItem(k); } catch { return null; } };
const write = (k, v) => { try { if (v) localStorage.setItem(k, v); else localStorage.removeItem(k); } catch { /* private mode */ } };

/** "fr-CA" -> "fr", "zh-Hans-CN" -> "zh", "en-XA" -> "en-XA"; null when not shipped. */
export function supported(tag) {
  if (!tag || typeof tag !== "string") return null;
  const low = tag.trim().toLowerCase();
  if (PSEUDO[low]) return PSEUDO[low];
  const base = low.split(/[-_]/)[0];
  return base in LANGUAGES ? base : null;
}

function resolve() {
  const url = new URLSearchParams(location.search).get("lang");
  for (const tag of [read(CHOICE_KEY), url, read(SESSION_KEY), ...(navigator.languages || [navigator.language])]) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return "en";
}

export const lang = resolve();
const base = lang.startsWith("en") ? "en" : lang;
/** The BCP-47 tag for Intl: the browser's own variant when it speaks this language (fr-CA). */
export const locale = lang === "en-XB" ? "en" : ((navigator.languages || []).find((l) => supported(l) === base && !PSEUDO[l.toLowerCase()]) || base);
export const dir = RTL.has(lang) || RTL.has(base) ? "rtl" : "ltr";

// ---- the pseudo-locale en-XA: every letter accented, every text a third longer -------------

const ACCENTS = { a: "á", e: "é", i: "í", o: "ö", u: "ü", c: "ç", n: "ñ", y: "ý", A: "Å", E: "É", I: "Î", O: "Ø", U: "Û", C: "Ç", N: "Ñ" };
function accent(s) {
  // {placeholders} stay as they are
  const out = s.split(/(\{\w+\})/).map((part) => (/^\{\w+\}$/.test(part) ? part : part.replace(/[a-zA-Z]/g, (c) => ACCENTS[c] || c))).join("");
  return `[${out}${" ~".repeat(Math.ceil(s.length / 6))}]`;
}
function pseudo(catalog) {
  const out = {};
  for (const [k, v] of Object.entries(catalog)) {
    out[k] = typeof v === "string" ? accent(v) : Object.fromEntries(Object.entries(v).map(([c, x]) => [c, accent(x)]));
  }
  return out;
}

async function load(code) {
  if (code === "en" || code === "en-XB") return en;
  if (code === "en-XA") return pseudo(en);
  try {
    // a URL, not a path: a bundler (docs/benchmarks.md, "one script") leaves it to the browser
    // instead of packing all six languages into the page's script
    return (await import(new URL(`../i18n/${code}.js`, import.meta.url).href)).default;
  } catch (e) {
    console.warn(`i18n: could not load ${code}: ${e}`);
    return en;
  }
}
const messages = await load(lang);

/** The participant's choice: remembered, then the page reloads in that language. */
export function chooseLanguage(code) {
  write(CHOICE_KEY, supported(code) || null);
  location.reload();
}

/** The session's default (the join's answer): taken when the participant has chosen nothing.
 *  Returns true when the page must reload to show it. */
export function adoptSessionLanguage(code) {
  const l = supported(code);
  if (!l) return false;
  write(SESSION_KEY, l);
  return !read(CHOICE_KEY) && !new URLSearchParams(location.search).get("lang") && l !== lang;
}

const plurals = new Intl.PluralRules(locale);

/** A plural entry ({"one": ..., "other": ...}) by the count in params (n, else k, else count). */
function form(entry, params) {
  if (typeof entry === "string" || entry === undefined) return entry;
  const n = Number(params && (params.n ?? params.k ?? params.count));
  return entry[plurals.select(Number.isFinite(n) ? n : 0)] ?? entry.other;
}

/** t("join.title"), t("clock.left", {time: "3:10"}); a plural entry picks its form by {n}.
 *  A key missing in the language falls back to English; missing there too, the key itself. */
export function t(key, params) {
  let s = form(messages[key], params) ?? form(en[key], params);
  if (s === undefined) {
    console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] ?? m));
  return s;
}

export const has = (key) => key in messages || key in en;

/** A stable error code to a sentence in the participant's language; the server's English
 *  message only for a code this client does not know (a newer server). */
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
// a value that shows as zero at `digits` is zero: -0.0004 is "0", never "-0" (a tiny loss read as a sign)
const shown = (x, digits, scale = 1) => (Math.round(Math.abs(x) * scale * 10 ** digits) === 0 ? 0 : x);
// no value, or not a finite number (0/0, a ratio to zero): "–", never "NaN%", "∞" or "+NaN"
const absent = (x) => x === null || x === undefined || !Number.isFinite(Number(x));
export const num = (x, digits = 1) => (absent(x) ? "–" : fmt(digits).format(shown(x, digits)));
const pf = new Map();
function pfmt(digits) {
  if (!pf.has(digits)) pf.set(digits, new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: digits, minimumFractionDigits: 0 }));
  return pf.get(digits);
}
export const pct = (x, digits = 0) => (absent(x) ? "–" : pfmt(digits).format(shown(x, digits, 100)));
// the sign of the value as shown (±, never a sign on a zero), then its size in `format`
const withSign = (v, format) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${format.format(Math.abs(v))}`;
export const signed = (x, digits = 1) => (absent(x) ? "–" : withSign(shown(x, digits), fmt(digits)));
export const signedPct = (x, digits = 1) => (absent(x) ? "–" : withSign(shown(x, digits, 100), pfmt(digits)));

const ordinals = new Intl.PluralRules(locale, { type: "ordinal" });
/** 1 -> "1st", 3 -> "3rd" (the catalog's ord.<category> forms; other languages use ord.other). */
export function ordinal(n) {
  const key = `ord.${ordinals.select(n)}`;
  return t(messages[key] !== undefined ? key : "ord.other", { n });
}

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

/** A date and time in the language (the sessions list, exports' times). */
export function dateTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

/** Fill [data-i18n] (textContent), [data-i18n-aria] (aria-label) and the title; set the
 *  page's lang and dir (screen readers pick their voice by lang). */
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  const title = document.documentElement.dataset.i18nTitle;
  if (title) document.title = t(title);
  document.documentElement.lang = messages === en ? "en" : lang;
  if (lang === "en-XA") document.documentElement.lang = "en";
  document.documentElement.dir = dir;
}

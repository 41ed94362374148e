// Stored credentials (localStorage: a closed and reopened tab comes back). A module of its
// own, without imports, so that js/early.js can read them before the page's other modules load.
export const store = {
  get(key) {
    try { return JSON.parse(localStorage.getItem(`alliance.${key}`) || "null"); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(`alliance.${key}`, JSON.stringify(value)); } catch { /* private mode */ }
    try { sessionStorage.setItem(`alliance.${key}`, JSON.stringify(value)); } catch { /* idem */ }
  },
  remove(key) {
    try { localStorage.removeItem(`alliance.${key}`); } catch { /* ignore */ }
    try { sessionStorage.removeItem(`alliance.${key}`); } catch { /* ignore */ }
  },
};

// A classic script, loaded `async` by the player's page (join.html) while its one bundled
// script is still on its way, for two things that would otherwise wait for it (a phone on a
// slow network waits most of a second; docs/benchmarks.md, "Phones"):
// - the live connection's handshake, a round trip: opened here when this browser holds a seat,
//   and taken over by js/socket.js (`bootSocket`), which sends the auth frame. Nothing is sent
//   here; js/early.js decides whether the page wants the seat and closes the socket otherwise;
// - the browser's number-format data, which the page's first formatted number loads (0.1 s on
//   a laptop, 0.2-0.5 s at a phone's speed). Loaded in the next task: the handshake leaves
//   only once this one ends.
// The page works the same without this file.
(() => {
  try {
    // the same test as js/early.js's resumes() (should they differ, early.js closes this socket
    // or opens its own: slower, never wrong)
    const seat = JSON.parse(localStorage.getItem("alliance.player") || "null");
    const norm = (c) => (c || "").toUpperCase().replace(/[\s-]/g, "");
    const params = new URLSearchParams(location.search);
    const code = norm(params.get("code"));
    const panel = ["PROLIFIC_PID", "workerId", "participant", "label"].some((k) => (params.get(k) || "").trim());
    const rejoin = new URLSearchParams(location.hash.slice(1)).get("rejoin");
    if (seat && seat.token && (!code || code === norm(seat.code)) && (!panel || seat.panel) && !rejoin
        && !window.__bootTaken) {
      window.__bootSocket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    }
  } catch (e) { /* storage blocked: the page opens its own socket */ }
  setTimeout(() => {
    try {
      new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(1234.5);
      new Intl.NumberFormat(undefined, { style: "percent" }).format(0.5);
      new Date(0).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    } catch (e) { /* a browser without Intl: nothing to load */ }
  }, 30);
})();

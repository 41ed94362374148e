// A classic script, loaded `async` by the player's page while its one bundled script is still
// on its way: the first Intl number format of a page loads the browser's locale data, about
// 0.1 s on a laptop and 0.2-0.5 s at a phone's speed (docs/benchmarks.md, "Phones"). Done here,
// in the time the page waits for the network anyway, the page's own formats are then quick.
// It sets nothing and reads nothing: the page works the same without it.
try {
  new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(1234.5);
  new Intl.NumberFormat(undefined, { style: "percent" }).format(0.5);
  new Date(0).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
} catch (e) { /* a browser without Intl: nothing to warm */ }

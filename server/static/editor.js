// The SPARQL editor: YASGUI (vendored, offline) querying this server's own /sparql endpoint.
// One tab per canned query (from the JSON in #canned-queries), plus a first tab for ?query=...&name=... when given.
"use strict";

(function () {
  const root = document.getElementById("yasgui");
  if (!root || typeof Yasgui === "undefined") return;

  // Offline: the class and property autocompleters fetch suggestions from lov.linkeddata.es; drop them.
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(
    (name) => name !== "class" && name !== "property",
  );

  const endpoint = new URL(root.dataset.endpoint || "/sparql", window.location.href).toString();
  const canned = JSON.parse(document.getElementById("canned-queries").textContent || "[]");
  const params = new URLSearchParams(window.location.search);
  const tabs = [];
  if (params.get("query")) {
    tabs.push({ name: params.get("name") || "Query", query: params.get("query") });
  }
  tabs.push(...canned);

  const yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: null, // no tabs restored from (or saved to) localStorage
    populateFromUrl: false, // ?query= is read above; YASGUI's own URL config could also change the endpoint
    autoAddOnInit: tabs.length === 0,
    tabName: "Query",
  });

  // The first tab is the active one (the ?query= tab when there is one); the others open behind it, in order.
  tabs.forEach((tab, index) => yasgui.addTab(index === 0, { name: tab.name, yasqe: { value: tab.query } }));
  window.yasgui = yasgui;
})();

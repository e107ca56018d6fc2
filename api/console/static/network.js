// The network page: every charger and EVSE of the operator's sites, grouped by region or business unit and
// location, filtered through the API, kept live from the network feed, with the charger's faults, journal and
// commands (confirmed before they are sent) in a dialog.
import {
  OPERATIONS_ROLES,
  api,
  byId,
  confirmDialog,
  duration,
  el,
  formatTime,
  label,
  liveFeed,
  replaceChildren,
  shortcut,
  startPage,
  toast,
} from "./shell.js";

await startPage({ roles: OPERATIONS_ROLES });

const FILTERS = ["region", "businessUnit", "location", "status", "connectivity", "model", "q"];
// the server's rule (api/domain/operations/network/schemas.py): worst first
const STATUSES = ["offline", "faulted", "unavailable", "blocked", "charging", "reserved", "available", "unknown"];
const OCPI_TO_NETWORK = {
  OUTOFORDER: "faulted",
  INOPERATIVE: "unavailable",
  BLOCKED: "blocked",
  CHARGING: "charging",
  RESERVED: "reserved",
  AVAILABLE: "available",
};
const AUTH_LABELS = {
  app: "App",
  rfid: "RFID card",
  guest: "Guest card payment",
  roaming: "Roaming token",
  charger: "Charger (no session)",
};
const RELOAD_MS = 5 * 60_000; // the whole page again, in case an event was missed
const TOTALS_MS = 60_000; // totals again: they count locations not loaded here, whose events are not followed
const PAGE = 100; // locations per request
const OPEN_UP_TO = 300; // locations start opened while the page holds at most this many chargers

const groupsNode = byId("network-groups");
let view = null;
const chargers = new Map(); // charger id -> { charger, location }
const evses = new Map(); // EVSE id -> { evse, charger }
const evseByUid = new Map(); // `${locationId}/${uid}` -> EVSE id
let loading = null;
let typingTimer = null;
let renderQueued = false;
const dirty = new Set(); // charger ids whose rows changed since the last paint

const evseStatus = (connected, ocpiStatus) => (connected ? OCPI_TO_NETWORK[ocpiStatus] || "unknown" : "offline");

function chargerStatus(charger) {
  if (!charger.connected) return "offline";
  const present = new Set(charger.evses.map((evse) => evse.status));
  return STATUSES.find((status) => present.has(status)) || "unknown";
}

function statusBadge(status) {
  return el("span", { class: `badge net-${status}` }, label(status));
}

// ----- filters ----------------------------------------------------------------------------------------------

function field(name) {
  return byId(`nf-${name}`);
}

function filterParams() {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = field(name).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function groupBy() {
  return document.querySelector('input[name="groupBy"]:checked').value;
}

function restoreFilters() {
  const params = new URLSearchParams(location.search);
  for (const name of FILTERS) {
    const value = params.get(name);
    if (!value) continue;
    const input = field(name);
    if (input.tagName === "SELECT" && ![...input.options].some((option) => option.value === value)) {
      input.append(el("option", { value }, value)); // named before the choices arrive
    }
    input.value = value;
  }
  const by = params.get("groupBy");
  if (by) {
    const radio = document.querySelector(`input[name="groupBy"][value="${CSS.escape(by)}"]`);
    if (radio) radio.checked = true;
  }
}

function rememberFilters() {
  const params = filterParams();
  if (groupBy() !== "region") params.set("groupBy", groupBy());
  const query = params.toString();
  history.replaceState(null, "", query ? `${location.pathname}?${query}` : location.pathname);
}

function fillChoices(select, refs, allLabel) {
  const chosen = select.value;
  replaceChildren(
    select,
    el("option", { value: "" }, allLabel),
    refs.map((ref) => el("option", { value: ref.id }, ref.name)),
  );
  if (chosen && !refs.some((ref) => ref.id === chosen)) select.append(el("option", { value: chosen }, chosen));
  select.value = chosen;
}

function showChoices(choices) {
  fillChoices(field("region"), choices.regions, "All regions");
  fillChoices(field("businessUnit"), choices.businessUnits, "All business units");
  fillChoices(field("location"), choices.locations, "All locations");
  replaceChildren(
    byId("nf-models"),
    choices.models.map((model) => el("option", { value: model })),
  );
}

// ----- loading ----------------------------------------------------------------------------------------------

/** Read the view again from its first location, as many locations as are shown now (at least a page). */
async function load() {
  rememberFilters();
  const params = filterParams();
  params.set("limit", String(Math.min(1000, Math.max(PAGE, view ? view.locations.length : 0))));
  const request = api(`/v1/admin/network?${params}`);
  loading = request;
  try {
    const data = await request;
    if (loading !== request) return; // a newer request replaced this one
    view = data;
    index();
    showChoices(view.choices);
    render();
    byId("network-updated").textContent = `Read at ${formatTime(view.generatedAt)}`;
  } catch (error) {
    if (loading === request) toast(`The network could not be loaded: ${error.message}`, "error");
  }
}

async function loadMore() {
  const params = filterParams();
  params.set("offset", String(view.locations.length));
  params.set("limit", String(PAGE));
  try {
    const page = await api(`/v1/admin/network?${params}`);
    const known = new Set(view.locations.map((location) => location.locationId));
    view.locations.push(...page.locations.filter((location) => !known.has(location.locationId)));
    view.locationsTotal = page.locationsTotal;
    index();
    render();
  } catch (error) {
    toast(`More locations could not be loaded: ${error.message}`, "error");
  }
}

async function refreshTotals() {
  if (!view) return;
  const params = filterParams();
  params.set("limit", "0");
  try {
    const data = await api(`/v1/admin/network?${params}`);
    Object.assign(view, { totals: data.totals, regions: data.regions, businessUnits: data.businessUnits });
    view.locationsTotal = data.locationsTotal;
    renderTotals();
    renderGroupHeadings();
  } catch {
    // the next refresh or reload tries again
  }
}

function index() {
  chargers.clear();
  evses.clear();
  evseByUid.clear();
  for (const location of view.locations) {
    for (const charger of location.chargers) {
      chargers.set(charger.chargerId, { charger, location });
      for (const evse of charger.evses) {
        evses.set(evse.evseId, { evse, charger });
        evseByUid.set(`${location.locationId}/${evse.uid}`, evse.evseId);
      }
    }
  }
}

// ----- totals -----------------------------------------------------------------------------------------------

// totals are the server's (they count locations not loaded here too), moved by the live changes of loaded chargers

/** What a charger adds to its groups' totals: connected or not, and its EVSEs' statuses. */
function share(charger) {
  return { online: charger.connected ? 1 : 0, statuses: charger.evses.map((evse) => evse.status) };
}

function moveTotals(totals, before, after) {
  if (!totals) return;
  totals.chargersOnline += after.online - before.online;
  const byStatus = { ...totals.evsesByStatus };
  for (const status of before.statuses) byStatus[status] = (byStatus[status] || 0) - 1;
  for (const status of after.statuses) byStatus[status] = (byStatus[status] || 0) + 1;
  totals.evsesByStatus = Object.fromEntries(Object.entries(byStatus).filter(([, count]) => count > 0));
  totals.onlineShare = totals.chargers ? totals.chargersOnline / totals.chargers : 0;
}

function groupTotals(list, ref) {
  const id = ref ? ref.id : null;
  const found = list.find((group) => group.id === id);
  return found ? found.totals : null;
}

function moveAllTotals(location, before, after) {
  moveTotals(location.totals, before, after);
  moveTotals(view.totals, before, after);
  moveTotals(groupTotals(view.regions, location.region), before, after);
  moveTotals(groupTotals(view.businessUnits, location.businessUnit), before, after);
}

const percent = (total) => Math.round(100 * (total.onlineShare || 0));

function countsText(total) {
  const statuses = STATUSES.filter((status) => total.evsesByStatus[status]).map(
    (status) => `${total.evsesByStatus[status]} ${label(status)}`,
  );
  const chargersText = `${total.chargers} charger${total.chargers === 1 ? "" : "s"}`;
  const evsesText = `${total.evses} EVSE${total.evses === 1 ? "" : "s"}`;
  return `${chargersText}, ${percent(total)} % online · ${evsesText}${statuses.length ? ": " : ""}${statuses.join(", ")}`;
}

function renderTotals() {
  const all = view.totals;
  const card = (value, what, status) =>
    el(
      "div",
      { class: "total-card", dataset: status ? { status } : {} },
      el("span", { class: "value" }, value),
      el("span", { class: "what" }, what),
    );
  replaceChildren(
    byId("network-totals"),
    card(all.chargers, "chargers"),
    card(`${percent(all)} %`, `online (${all.chargersOnline} of ${all.chargers})`),
    card(all.evses, "EVSEs"),
    STATUSES.filter((status) => all.evsesByStatus[status]).map((status) =>
      card(all.evsesByStatus[status], `EVSEs ${label(status)}`, status),
    ),
  );
  byId("network-summary").textContent = countsText(all);
}

function renderGroupHeadings() {
  for (const heading of groupsNode.querySelectorAll("h2[data-group]")) {
    const list = groupBy() === "region" ? view.regions : view.businessUnits;
    const id = heading.dataset.group || null;
    const totals = list.find((group) => group.id === id);
    const counts = heading.querySelector(".group-counts");
    if (totals && counts) counts.textContent = countsText(totals.totals);
  }
}

// ----- the groups -------------------------------------------------------------------------------------------

function groupsOf(locations) {
  const key = groupBy();
  const missing = key === "region" ? "No region" : "No business unit";
  const groups = new Map();
  for (const location of locations) {
    const ref = location[key];
    const id = ref ? ref.id : "";
    if (!groups.has(id)) groups.set(id, { name: ref ? ref.name : missing, locations: [] });
    groups.get(id).locations.push(location);
  }
  return [...groups.entries()]
    .sort(([a, x], [b, y]) => (a === "") - (b === "") || x.name.localeCompare(y.name))
    .map(([id, group]) => ({ id, ...group }));
}

function render() {
  renderTotals();
  byId("network-empty").hidden = view.locations.length > 0;
  const open = chargers.size <= OPEN_UP_TO;
  const list = groupBy() === "region" ? view.regions : view.businessUnits;
  const remaining = view.locationsTotal - view.locations.length;
  replaceChildren(
    groupsNode,
    groupsOf(view.locations).map((group, n) => {
      const headingId = `group-${n}`;
      const totals = list.find((item) => item.id === (group.id || null));
      return el(
        "section",
        { class: "group-section", "aria-labelledby": headingId },
        el(
          "h2",
          { id: headingId, dataset: { group: group.id } },
          group.name,
          el("span", { class: "group-counts" }, totals ? countsText(totals.totals) : ""),
        ),
        group.locations.map((location) => locationBlock(location, open)),
      );
    }),
    remaining > 0
      ? el(
          "button",
          { type: "button", class: "button", id: "more-locations", onclick: loadMore },
          `Show ${Math.min(PAGE, remaining)} more of ${remaining} locations`,
        )
      : null,
  );
}

function locationSummary(location) {
  const total = location.totals;
  const unit = groupBy() === "region" ? location.businessUnit : location.region;
  return [
    el("strong", {}, location.name || location.address),
    el("span", { class: "muted" }, `${location.address}, ${location.city}`),
    unit ? el("span", { class: "muted" }, unit.name) : null,
    el("span", { class: "muted location-counts" }, countsText(total)),
  ];
}

function locationBlock(location, open) {
  const details = el("details", { class: "location-block", dataset: { location: location.locationId } });
  const summary = el("summary", {}, el("h3", {}, locationSummary(location)));
  details.append(summary);
  const fill = () => {
    if (details.querySelector("table")) return;
    details.append(chargerTable(location));
  };
  details.addEventListener("toggle", () => {
    if (details.open) fill();
  });
  if (open) {
    details.open = true;
    fill();
  }
  return details;
}

function chargerTable(location) {
  const table = el(
    "table",
    { class: "network" },
    el("caption", { class: "visually-hidden" }, `Chargers at ${location.name || location.address}`),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ["Charger / EVSE", "Status", "Connection", "Last heard", "Model", "Firmware", "OCPP", "Session", "Actions"].map(
          (name) => el("th", { scope: "col" }, name),
        ),
      ),
    ),
    location.chargers.map((charger) => chargerBody(charger)),
  );
  return el("div", { class: "table-wrap" }, table);
}

function chargerBody(charger) {
  const details = el(
    "button",
    {
      type: "button",
      class: "button small",
      "aria-label": `Faults, journal and commands of ${charger.chargerId}`,
      onclick: () => openCharger(charger.chargerId),
    },
    "Details",
  );
  const connection = charger.connected
    ? el("span", {}, "Online", charger.heldBy ? el("span", { class: "muted small" }, ` · ${charger.heldBy}`) : null)
    : el("span", {}, "Offline");
  const head = el(
    "tr",
    { class: "charger-row" },
    el("th", { scope: "row" }, el("span", { class: "mono" }, charger.chargerId)),
    el("td", {}, statusBadge(charger.status)),
    el("td", {}, connection),
    el("td", {}, lastHeard(charger.lastSeen)),
    el("td", {}, [charger.vendor, charger.model].filter(Boolean).join(" ") || "—"),
    el("td", {}, charger.firmwareVersion || "—"),
    el("td", {}, charger.ocppVersion || "—"),
    el("td", {}, charger.registrationStatus !== "accepted" ? label(charger.registrationStatus) : ""),
    el("td", {}, el("div", { class: "row-actions" }, details)),
  );
  return el(
    "tbody",
    { class: "charger", dataset: { charger: charger.chargerId } },
    head,
    charger.evses.map((evse) => evseRow(evse)),
  );
}

function lastHeard(iso) {
  if (!iso) return "never";
  return el("time", { datetime: iso, title: formatTime(iso) }, `${duration(Date.now() - new Date(iso).getTime())} ago`);
}

function evseRow(evse) {
  const name = evse.emi3EvseId || evse.uid;
  const status = [statusBadge(evse.status)];
  if (evse.errorCode) status.push(" ", el("span", { class: "error-code" }, evse.errorCode));
  return el(
    "tr",
    { class: "evse-row", dataset: { evse: evse.evseId } },
    el("th", { scope: "row" }, el("span", { class: "mono" }, name), evse.connectorId ? ` · #${evse.connectorId}` : ""),
    el("td", {}, status),
    el("td", { colspan: 5, class: "muted small" }, evse.ocppStatus ? `OCPP ${evse.ocppStatus}` : ""),
    el("td", { class: "session-cell" }, sessionText(evse.session)),
    el("td", {}),
  );
}

function sessionText(session) {
  if (!session) return el("span", { class: "muted" }, "—");
  const started = session.startedAt ? new Date(session.startedAt).getTime() : null;
  const running = started ? duration(Date.now() - started) : duration(session.durationSeconds * 1000);
  const figures = [`${Number(session.energyKwh).toFixed(2)} kWh`];
  if (session.powerKw !== null && session.powerKw !== undefined) figures.push(`${Number(session.powerKw).toFixed(1)} kW`);
  figures.push(running);
  if (session.socPercent !== null && session.socPercent !== undefined) figures.push(`SoC ${Math.round(session.socPercent)} %`);
  const who = [AUTH_LABELS[session.authMethod] || label(session.authMethod)];
  if (session.idTokenHint) who.push(session.idTokenHint);
  if (session.roamingPartner) who.push(session.roamingPartner);
  return el(
    "div",
    {},
    el("span", { class: "figures" }, figures.join(" · ")),
    el("br"),
    el("span", { class: "small" }, `${label(session.status)} · ${who.join(" · ")}`),
  );
}

// ----- live changes -----------------------------------------------------------------------------------------

function paintSoon(chargerId) {
  dirty.add(chargerId);
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    for (const id of dirty) repaint(id);
    dirty.clear();
    renderTotals();
    renderGroupHeadings();
  });
}

function repaint(chargerId) {
  const item = chargers.get(chargerId);
  if (!item) return;
  const old = groupsNode.querySelector(`tbody[data-charger="${CSS.escape(chargerId)}"]`);
  if (old) {
    const fresh = chargerBody(item.charger);
    fresh.classList.add("changed");
    old.replaceWith(fresh);
  }
  const block = groupsNode.querySelector(`details[data-location="${CSS.escape(item.location.locationId)}"] h3`);
  if (block) replaceChildren(block, locationSummary(item.location));
}

/** Change a loaded charger and move every total it counts in by the difference. */
function change(item, mutate) {
  const before = share(item.charger);
  mutate(item.charger);
  item.charger.status = chargerStatus(item.charger);
  moveAllTotals(item.location, before, share(item.charger));
  paintSoon(item.charger.chargerId);
}

const refreshing = new Map(); // charger id -> timer

/** A charger that (re)connected booted meanwhile: read its model and firmware again, once it settles. */
function refreshChargerSoon(chargerId) {
  clearTimeout(refreshing.get(chargerId));
  refreshing.set(
    chargerId,
    setTimeout(async () => {
      refreshing.delete(chargerId);
      const params = new URLSearchParams({ q: chargerId, limit: "5" });
      try {
        const data = await api(`/v1/admin/network?${params}`);
        const fresh = data.locations.flatMap((location) => location.chargers).find((c) => c.chargerId === chargerId);
        const item = chargers.get(chargerId);
        if (!fresh || !item) return;
        for (const key of ["vendor", "model", "firmwareVersion", "ocppVersion", "registrationStatus", "lastSeen"]) {
          item.charger[key] = fresh[key];
        }
        paintSoon(chargerId);
      } catch {
        // the next reload reads it
      }
    }, 1000),
  );
}

function onCharger(data) {
  const item = chargers.get(data.chargerId);
  if (!item) return;
  if (data.connected) refreshChargerSoon(data.chargerId);
  change(item, (charger) => {
    charger.connected = data.connected;
    charger.heldBy = data.heldBy;
    charger.lastSeen = data.lastSeen;
    if (data.ocppVersion) charger.ocppVersion = data.ocppVersion;
    for (const evse of charger.evses) evse.status = evseStatus(charger.connected, evse.ocpiStatus);
  });
}

function onEvse(data) {
  const found = evses.get(data.evseId);
  if (!found) return;
  const { evse, charger } = found;
  change(chargers.get(charger.chargerId), () => {
    evse.ocpiStatus = data.ocpiStatus;
    evse.ocppStatus = data.ocppStatus;
    evse.errorCode = data.errorCode;
    evse.statusUpdatedAt = data.statusUpdatedAt;
    evse.status = evseStatus(charger.connected, evse.ocpiStatus);
  });
}

function onSession(data) {
  const evseId = evseByUid.get(`${data.locationId}/${data.evseUid}`);
  const item = evseId && evses.get(evseId);
  if (!item) return;
  const { evse, charger } = item;
  if (data.final) {
    if (evse.session && evse.session.sessionId === data.sessionId) evse.session = null;
  } else {
    const known = evse.session && evse.session.sessionId === data.sessionId ? evse.session : {};
    evse.session = {
      idTokenHint: null,
      roamingPartner: null,
      transactionId: null,
      ...known,
      sessionId: data.sessionId,
      status: data.status,
      authMethod: data.authMethod,
      startedAt: data.startedAt,
      durationSeconds: data.durationSeconds,
      energyKwh: data.energyKwh,
      powerKw: data.powerKw,
      socPercent: data.socPercent,
    };
  }
  paintSoon(charger.chargerId);
}

let filteredReload = null;

function onEvent(type, data) {
  if (!view || typeof data !== "object") return;
  if (type === "charger") onCharger(data);
  else if (type === "evse") onEvse(data);
  else if (type === "session") onSession(data);
  else return;
  // a change can move a charger in or out of a status filter: read the view again once things settle
  if ((field("status").value || field("connectivity").value) && type !== "session") {
    clearTimeout(filteredReload);
    filteredReload = setTimeout(load, 2000);
  }
}

// ----- a charger's details and commands ---------------------------------------------------------------------

async function sendCommand(chargerId, command, body, what) {
  const confirmed = await confirmDialog(`${what}?`, `${what} on charger ${chargerId}. The charger acts on it at once.`, {
    confirmLabel: what,
  });
  if (!confirmed) return;
  try {
    const result = await api(`/v1/admin/chargers/${encodeURIComponent(chargerId)}/commands/${command}`, {
      method: "POST",
      body,
    });
    const status = (result && (result.status || result.result)) || "sent";
    toast(`${chargerId}: ${what} answered ${status}.`);
  } catch (error) {
    toast(`${chargerId}: ${what} failed: ${error.message}`, "error");
  }
}

function commandButton(chargerId, command, body, what, { danger = false, enabled = true } = {}) {
  return el(
    "button",
    {
      type: "button",
      class: danger ? "button small danger" : "button small",
      disabled: !enabled,
      onclick: () => sendCommand(chargerId, command, body, what),
    },
    what,
  );
}

function commandsOf(charger) {
  const id = charger.chargerId;
  const online = charger.connected;
  const forCharger = el(
    "div",
    { class: "row-actions", role: "group", "aria-label": `Commands for ${id}` },
    commandButton(id, "reset", { kind: "Soft" }, "Soft reset", { enabled: online }),
    commandButton(id, "reset", { kind: "Hard" }, "Hard reset", { danger: true, enabled: online }),
    commandButton(id, "trigger-message", { message: "StatusNotification" }, "Ask for statuses", { enabled: online }),
  );
  const perEvse = charger.evses.map((evse) => {
    const number = evse.connectorId || 1;
    const name = `EVSE ${evse.emi3EvseId || evse.uid}`;
    const buttons = [
      commandButton(id, "unlock", { connector_id: number }, `Unlock ${name}`, { enabled: online }),
      evse.ocpiStatus === "INOPERATIVE"
        ? commandButton(id, "change-availability", { operational: true, connector_id: number }, `Make ${name} available`, { enabled: online })
        : commandButton(id, "change-availability", { operational: false, connector_id: number }, `Make ${name} unavailable`, { enabled: online }),
    ];
    if (evse.session && evse.session.transactionId) {
      buttons.push(
        commandButton(id, "remote-stop", { transaction_id: evse.session.transactionId }, `Stop the session on ${name}`, {
          danger: true,
          enabled: online,
        }),
      );
    }
    return el("div", { class: "row-actions", role: "group", "aria-label": name }, buttons);
  });
  return [
    el("h3", {}, "Commands"),
    online ? null : el("p", { class: "muted" }, "The charger is offline: commands wait until it connects again."),
    forCharger,
    perEvse,
  ];
}

function faultsList(faults) {
  if (!faults.length) return el("p", { class: "muted" }, "No faults logged.");
  return el(
    "table",
    { class: "compact" },
    el("caption", {}, "Recent faults, newest first"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "When"), el("th", { scope: "col" }, "What"), el("th", { scope: "col" }, "Detail"))),
    el(
      "tbody",
      {},
      faults.map((fault) =>
        el(
          "tr",
          {},
          el("td", {}, formatTime(fault.at)),
          el("td", {}, label(fault.kind)),
          el("td", {}, Object.entries(fault.detail || {}).filter(([, value]) => value !== null && value !== "").map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`).join(", ")),
        ),
      ),
    ),
  );
}

function journalList(journal) {
  if (!journal.available) return el("p", { class: "muted" }, journal.detail || "No journal is kept for this charger now.");
  const lines = journal.entries
    .slice(-30)
    .map((entry) => `${entry.at}  ${entry.direction}  ${entry.messageType || ""} ${entry.action || ""} ${entry.payload === undefined || entry.payload === null ? "" : JSON.stringify(entry.payload)}`);
  return el("pre", { tabindex: "0", "aria-label": "Last OCPP messages" }, lines.join("\n"));
}

async function openCharger(chargerId) {
  const item = chargers.get(chargerId);
  if (!item) return;
  const dialog = byId("charger-dialog");
  byId("charger-dialog-title").textContent = `Charger ${chargerId}`;
  const body = byId("charger-dialog-body");
  const faultsNode = el("div", {}, el("p", { class: "muted" }, "Loading faults…"));
  const journalNode = el("div", {}, el("p", { class: "muted" }, "Loading the journal…"));
  replaceChildren(
    body,
    el("p", {}, `${item.location.name || item.location.address} · ${[item.charger.vendor, item.charger.model].filter(Boolean).join(" ") || "unknown model"}`),
    commandsOf(item.charger),
    el("h3", {}, "Faults"),
    faultsNode,
    el("h3", {}, "Journal (last OCPP messages)"),
    journalNode,
  );
  dialog.showModal();
  byId("charger-dialog-close").focus();
  const path = `/v1/admin/chargers/${encodeURIComponent(chargerId)}`;
  api(`${path}/faults`)
    .then((faults) => replaceChildren(faultsNode, faultsList(faults)))
    .catch((error) => replaceChildren(faultsNode, el("p", { class: "form-error" }, `Faults could not be read: ${error.message}`)));
  api(`${path}/journal?limit=30`)
    .then((journal) => replaceChildren(journalNode, journalList(journal)))
    .catch((error) => replaceChildren(journalNode, el("p", { class: "form-error" }, `The journal could not be read: ${error.message}`)));
}

byId("charger-dialog-close").addEventListener("click", () => byId("charger-dialog").close());

// ----- wiring -----------------------------------------------------------------------------------------------

restoreFilters();
const form = byId("network-filters");
form.addEventListener("submit", (event) => event.preventDefault());
form.addEventListener("change", (event) => {
  if (event.target.name === "groupBy") {
    rememberFilters();
    if (view) render();
    return;
  }
  load();
});
form.addEventListener("input", (event) => {
  if (!["q", "model"].includes(event.target.name)) return;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(load, 300);
});
shortcut("/", "Search chargers, locations and EVSEs", () => field("q").focus());
shortcut("r", "Read the network again", () => load());

// every (re)connection reads the whole view again: nothing missed while the feed was down stays wrong
load();
liveFeed("/v1/admin/network/events", onEvent, { onOpen: () => load() });
setInterval(load, RELOAD_MS);
setInterval(refreshTotals, TOTALS_MS);

// Alerts: the open alerts of the operator's sites, most severe first, live from the alert feed; acknowledge,
// assign to oneself, resolve with a note; an alert's history; the fatigue table per rule.
import {
  OPERATIONS_ROLES,
  api,
  badge,
  byId,
  confirmDialog,
  el,
  formatTime,
  label,
  liveFeed,
  replaceChildren,
  shortcut,
  startPage,
  toast,
} from "./shell.js";

const auth = await startPage({ roles: OPERATIONS_ROLES });
const FILTERS = ["state", "severity", "rule", "charger"];
const SEVERITIES = ["critical", "major", "minor", "info"];
const PAGE = 50;
let items = [];
let total = 0;
let shown = null;
let reloadTimer = null;
const rules = {};
const capital = (value) => {
  const text = label(value);
  return text.charAt(0).toUpperCase() + text.slice(1);
};

function params() {
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = byId(`f-${name}`).value.trim();
    if (value) query.set(name, value);
  }
  return query;
}

function where(alert) {
  if (!alert.chargerId) return "Whole network";
  return alert.connectorId ? `${alert.chargerId} · connector ${alert.connectorId}` : alert.chargerId;
}

function detailText(alert) {
  return Object.entries(alert.detail || {})
    .map(([key, value]) => `${capital(key)}: ${value}`)
    .join(", ");
}

function actions(alert) {
  if (alert.state === "resolved") return el("span", { class: "muted" }, alert.autoResolved ? "Cleared by itself" : "Resolved");
  const buttons = [];
  if (alert.state === "open") {
    buttons.push(el("button", { type: "button", class: "button", onclick: () => act(alert, "acknowledge") }, "Acknowledge"));
  }
  if (alert.assignedTo !== auth.profile.id) {
    buttons.push(el("button", { type: "button", class: "button", onclick: () => assign(alert, auth.profile.id) }, "Assign to me"));
  } else {
    buttons.push(el("button", { type: "button", class: "button", onclick: () => assign(alert, null) }, "Unassign"));
  }
  buttons.push(el("button", { type: "button", class: "button", onclick: () => resolve(alert) }, "Resolve"));
  return el("div", { class: "toolbar" }, ...buttons);
}

function row(alert) {
  const title = el(
    "button",
    { type: "button", class: "link-button", onclick: () => showDetail(alert.id), "aria-label": `Show ${alert.title} on ${where(alert)}` },
    alert.title,
  );
  const detail = detailText(alert);
  return el(
    "tr",
    { "data-id": alert.id, class: shown === alert.id ? "current" : "" },
    el("td", {}, badge("level", alert.severity)),
    el("td", { class: "summary-cell" }, title, detail ? el("div", { class: "muted small" }, detail) : ""),
    el("td", {}, where(alert)),
    el("td", {}, capital(alert.state), alert.conditionActive || alert.state === "resolved" ? "" : el("div", { class: "muted small" }, "clearing")),
    el("td", {}, formatTime(alert.openedAt), alert.escalatedAt ? el("div", { class: "sla sla-breached" }, "Escalated") : ""),
    el("td", {}, `${alert.occurrences}×`, el("div", { class: "muted small" }, formatTime(alert.lastSeenAt))),
    el("td", {}, alert.assigneeName || "—"),
    el("td", {}, actions(alert)),
  );
}

function render() {
  replaceChildren(byId("alert-rows"), ...items.map(row));
  byId("alert-empty").hidden = items.length > 0;
  byId("load-more").hidden = items.length >= total;
  byId("alert-count").textContent = `${total} alert${total === 1 ? "" : "s"}`;
}

async function load({ more = false } = {}) {
  const query = params();
  query.set("limit", String(PAGE));
  if (more) query.set("offset", String(items.length));
  const page = await api(`/v1/admin/alerts?${query}`);
  items = more ? [...items, ...page.items] : page.items;
  total = page.total;
  render();
}

async function loadCounts() {
  const counts = await Promise.all(
    SEVERITIES.map((severity) => api(`/v1/admin/alerts?severity=${severity}&limit=1`).then((page) => page.total)),
  );
  replaceChildren(
    byId("severity-counts"),
    ...SEVERITIES.map((severity, i) => el("li", {}, badge("level", severity), ` ${counts[i]} open`)),
  );
}

function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    load().catch(() => null);
    loadCounts().catch(() => null);
    if (shown) showDetail(shown, { quiet: true }).catch(() => null);
  }, 300);
}

async function act(alert, action, body = {}) {
  try {
    await api(`/v1/admin/alerts/${alert.id}/${action}`, { method: "POST", body });
    toast(`${alert.title} on ${where(alert)}: ${action === "acknowledge" ? "acknowledged" : action === "resolve" ? "resolved" : "assigned"}.`);
    reloadSoon();
  } catch (error) {
    toast(error.message || "That did not work.", "error");
  }
}

function assign(alert, assigneeId) {
  return act(alert, "assign", { assigneeId });
}

async function resolve(alert) {
  const note = el("textarea", { id: "resolve-note", rows: "3", maxlength: "2000" });
  const extra = el("div", { class: "field" }, el("label", { for: "resolve-note" }, "Note (what was done)"), note);
  const ok = await confirmDialog("Resolve alert", `${alert.title} on ${where(alert)}`, { extra, confirmLabel: "Resolve" });
  if (ok) await act(alert, "resolve", { note: note.value.trim() || null });
}

function eventText(detail) {
  const flat = { ...detail, ...(detail.detail || {}) };
  delete flat.detail;
  delete flat.assigneeId;
  return Object.entries(flat)
    .filter(([, value]) => value !== null && value !== "" && typeof value !== "object")
    .map(([key, value]) => `${capital(key)}: ${value}`)
    .join(", ");
}

async function showDetail(id, { quiet = false } = {}) {
  const detail = await api(`/v1/admin/alerts/${id}`);
  shown = id;
  const alert = detail.alert;
  byId("detail-title").textContent = `${alert.title} · ${where(alert)}`;
  const fact = (name, value) => el("div", {}, el("dt", {}, name), el("dd", {}, value));
  replaceChildren(
    byId("detail-facts"),
    fact("Severity", badge("level", alert.severity)),
    fact("State", capital(alert.state)),
    fact("Rule", alert.rule),
    fact("Opened", formatTime(alert.openedAt)),
    fact("Reports", String(alert.occurrences)),
    fact("Ticket", alert.ticketId ? el("a", { href: `/console/tickets/${alert.ticketId}` }, `#${alert.ticketId}`) : "—"),
    ...(detail.resolutionNote ? [fact("Note", detail.resolutionNote)] : []),
  );
  replaceChildren(
    byId("detail-history"),
    ...detail.history.map((event) =>
      el(
        "li",
        {},
        el("strong", {}, capital(event.kind)),
        ` ${formatTime(event.at)} · ${event.actor}`,
        eventText(event.detail) ? el("div", { class: "muted small" }, eventText(event.detail)) : "",
      ),
    ),
  );
  byId("alert-detail").hidden = false;
  render();
  if (!quiet) byId("alert-detail").scrollIntoView({ block: "nearest" });
}

async function loadFatigue() {
  const report = await api("/v1/admin/alerts/fatigue");
  const minutes = (value) => (value === null ? "—" : `${value} min`);
  const line = (item) =>
    el(
      "tr",
      {},
      el("th", { scope: "row" }, item.rule === "*" ? "All rules" : (rules[item.rule] || item.rule)),
      el("td", {}, String(item.alerts)),
      el("td", {}, String(item.chargers)),
      el("td", {}, item.alertsPerChargerPerWeek.toFixed(2)),
      el("td", {}, minutes(item.medianMinutesToAcknowledge)),
      el("td", {}, minutes(item.p90MinutesToAcknowledge)),
      el("td", {}, `${Math.round(item.autoResolvedWithin5Minutes * 100)} %`),
      el("td", {}, SEVERITIES.map((s) => item.bySeverity[s] || 0).join(" / ")),
    );
  replaceChildren(byId("fatigue-rows"), ...report.rules.map(line), line(report.overall));
}

async function loadRules() {
  const list = await api("/v1/admin/alert-rules");
  const select = byId("f-rule");
  for (const rule of list) {
    rules[rule.name] = rule.title;
    select.append(el("option", { value: rule.name }, rule.title));
  }
}

const query = new URLSearchParams(location.search);
await loadRules();
for (const name of FILTERS) if (query.has(name)) byId(`f-${name}`).value = query.get(name);
byId("filters").addEventListener("change", () => load());
byId("f-charger").addEventListener("input", reloadSoon);
byId("filters").addEventListener("submit", (event) => event.preventDefault());
byId("load-more").addEventListener("click", () => load({ more: true }));
shortcut("r", "Reload the alerts", () => reloadSoon());
await Promise.all([load(), loadCounts(), loadFatigue()]);
if (query.get("alert")) showDetail(query.get("alert")).catch(() => toast("That alert is not there.", "error"));
liveFeed("/v1/admin/alerts/events", (type) => {
  if (type === "alert") reloadSoon();
}, { onOpen: reloadSoon });

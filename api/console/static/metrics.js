// The metrics page: the report of GET /v1/admin/metrics for the filters, as key figures, an hour x weekday heatmap
// and utilisation bars drawn as SVG here (no chart library), the per-charger and per-location tables with their
// NEVI uptime, and the CSV tables.
import { ApiError, OPERATIONS_ROLES, api, byId, currentAuth, el, money, replaceChildren, startPage, svg } from "./shell.js";

await startPage({ roles: OPERATIONS_ROLES });
byId("live-status").hidden = true; // a report for a period: nothing on this page updates live

const FILTERS = ["from", "to", "location", "region", "businessUnit", "model"];
const TABLE_ROWS = 50;
const NEVI_LINE = 97; // per cent: what NEVI holds a port's uptime to, as the uptime page marks it
const form = byId("metrics-filters");
let filled = false;

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function filterValues() {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = byId(`f-${name}`).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function restoreFilters() {
  const params = new URLSearchParams(location.search);
  const today = new Date();
  byId("f-to").value = params.get("to") || isoDay(today);
  byId("f-from").value = params.get("from") || isoDay(new Date(today.getTime() - 29 * 86_400_000));
  for (const name of ["location", "region", "businessUnit", "model"]) {
    if (params.has(name)) {
      const select = byId(`f-${name}`);
      select.append(el("option", { value: params.get(name) }, params.get(name)));
      select.value = params.get(name);
    }
  }
}

const percent = (share) =>
  share === null || share === undefined ? "—" : `${(share * 100).toFixed(share && share < 0.01 ? 2 : 1)} %`;
const number = (value, digits = 0) =>
  value === null || value === undefined
    ? "—"
    : Number(value).toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
const utcText = (instant) => `${instant.slice(0, 16).replace("T", " ")} UTC`;

/** An uptime percentage, marked as the uptime page marks it when it is under the NEVI line. */
function uptime(value) {
  if (value === null || value === undefined) return "—";
  const text = `${value.toFixed(2)} %`;
  if (value >= NEVI_LINE) return text;
  return el(
    "span",
    { class: "below-nevi uptime-low", title: "Below 97 % (NEVI)" },
    text,
    el("span", { class: "visually-hidden" }, " (below 97 %, NEVI)"),
  );
}

const counted = (count, noun) => `${number(count)} ${noun}${count === 1 ? "" : "s"}`;
const revenueText = (revenue) => (revenue.length ? revenue.map((m) => money(m.amount, m.currency)).join(" + ") : "—");

function figure(term, value, note) {
  return el("div", {}, el("dt", {}, term), el("dd", {}, value, note ? el("span", { class: "small" }, note) : null));
}

function renderFigures(report) {
  const t = report.totals;
  const s = report.support;
  const box = byId("key-figures");
  replaceChildren(
    box,
    figure("Sessions", number(t.sessions), `${number(report.chargersCount)} chargers, ${number(report.ports)} ports`),
    figure("Utilisation", percent(t.utilisation), `${number(t.deliveringHours, 1)} h delivering`),
    figure(
      "Uptime (NEVI)",
      uptime(t.uptimePercent),
      `mean of ports; ${counted(t.chargersBelowNevi, "charger")}, ${counted(t.portsBelowNevi, "port")} below 97 %`,
    ),
    figure("Energy", `${number(t.energyKwh, 1)} kWh`, `${number(t.energyPerSessionKwh, 1)} kWh per session`),
    figure("Average session", t.averageDurationMinutes === null ? "—" : `${number(t.averageDurationMinutes)} min`),
    figure("Revenue", revenueText(t.revenue)),
    figure("Failed starts", percent(t.failedStartRate), `${number(t.failedStarts)} of ${number(t.sessions + t.failedStarts)} starts`),
    figure(
      "First-time drivers",
      number(t.firstTimeDrivers),
      `${number(t.returningSessions)} sessions by returning drivers`,
    ),
    figure(
      "Support resolution",
      s.resolution.medianMinutes === null ? "—" : `${number(s.resolution.medianMinutes)} min`,
      `median of ${number(s.resolution.tickets)} solved; p90 ${s.resolution.p90Minutes === null ? "—" : `${number(s.resolution.p90Minutes)} min`}`,
    ),
    figure(
      "Satisfaction (CSAT)",
      percent(s.satisfaction.satisfiedShare),
      `${number(s.satisfaction.ratings)} ratings, mean ${s.satisfaction.mean ?? "—"}; ${number(s.tickets)} tickets`,
    ),
  );
  box.setAttribute("aria-busy", "false");
}

function heatColour(count, max) {
  if (!count) return "#f1f4f7";
  const level = Math.min(1, count / max);
  // from a light blue to the console's dark blue: readable text is chosen by level below
  const mix = (a, b) => Math.round(a + (b - a) * level);
  return `rgb(${mix(206, 8)}, ${mix(226, 70)}, ${mix(246, 127)})`;
}

function renderHeatmap(heatmap) {
  const cell = 26;
  const left = 84;
  const top = 18;
  const max = Math.max(1, ...heatmap.sessions.flat());
  const total = heatmap.sessions.flat().reduce((a, b) => a + b, 0);
  const chart = svg(
    "svg",
    {
      viewBox: `0 0 ${left + 24 * cell + 2} ${top + 7 * cell + 2}`,
      role: "img",
      "aria-label": `Sessions by local hour and weekday, ${total} in all; busiest cell ${max}`,
    },
    Array.from({ length: 24 }, (_, hour) =>
      hour % 3 === 0 ? svg("text", { x: left + hour * cell + cell / 2, y: 12, "text-anchor": "middle" }, String(hour).padStart(2, "0")) : null,
    ),
    heatmap.weekdays.map((day, row) => [
      svg("text", { x: 0, y: top + row * cell + cell / 2 + 4 }, day),
      heatmap.sessions[row].map((count, hour) =>
        svg(
          "rect",
          {
            x: left + hour * cell,
            y: top + row * cell,
            width: cell - 2,
            height: cell - 2,
            rx: 3,
            fill: heatColour(count, max),
            "data-cell": `${row}-${hour}`,
          },
          svg("title", {}, `${day} ${String(hour).padStart(2, "0")}:00: ${count} sessions`),
        ),
      ),
    ]),
  );
  replaceChildren(byId("heatmap"), chart);
}

function renderUtilisation(locations) {
  const rows = [...locations].sort((a, b) => (b.utilisation ?? 0) - (a.utilisation ?? 0)).slice(0, 12);
  if (!rows.length) {
    replaceChildren(byId("utilisation-chart"), el("p", { class: "muted" }, "No chargers in this selection."));
    return;
  }
  const bar = 22;
  const labelWidth = 170;
  const width = 520;
  const max = Math.max(0.0001, ...rows.map((r) => r.utilisation ?? 0));
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${rows.length * bar + 4}`, role: "img", "aria-label": "Utilisation of the busiest locations" },
    rows.map((row, i) => {
      const share = row.utilisation ?? 0;
      const length = ((width - labelWidth - 70) * share) / max;
      const name = row.name.length > 26 ? `${row.name.slice(0, 25)}…` : row.name;
      return [
        svg("text", { x: 0, y: i * bar + 15 }, name),
        svg("rect", { x: labelWidth, y: i * bar + 3, width: Math.max(1, length), height: bar - 6, rx: 2, fill: "#0b5cad" }),
        svg("text", { x: labelWidth + length + 6, y: i * bar + 15 }, percent(row.utilisation)),
      ];
    }),
  );
  replaceChildren(byId("utilisation-chart"), chart);
}

/** The first rows of a table and a note saying which they are. */
function firstRows(rows, noteId, order) {
  const shown = rows.slice(0, TABLE_ROWS);
  byId(noteId).textContent =
    rows.length > shown.length
      ? `the ${shown.length} with the most ${order} of ${rows.length}; the CSV has them all`
      : `${rows.length} in this selection`;
  return shown;
}

function renderChargers(chargers) {
  const shown = firstRows(chargers, "chargers-note", "sessions");
  replaceChildren(
    byId("charger-rows"),
    shown.length
      ? shown.map((c) =>
          el(
            "tr",
            {},
            el("td", { class: "mono" }, c.chargerId),
            el("td", {}, c.model || "—"),
            el("td", {}, c.locationName),
            el("td", { class: "num" }, c.ports),
            el("td", { class: "num" }, number(c.sessions)),
            el("td", { class: "num" }, percent(c.utilisation)),
            el("td", { class: "num" }, uptime(c.uptimePercent)),
            el("td", { class: "num" }, number(c.energyPerSessionKwh, 1)),
            el("td", { class: "num" }, c.averageDurationMinutes === null ? "—" : `${number(c.averageDurationMinutes)} min`),
            el("td", { class: "num" }, c.failedStarts ? `${c.failedStarts} (${percent(c.failedStartRate)})` : "0"),
            el("td", { class: "num" }, revenueText(c.revenue)),
          ),
        )
      : el("tr", {}, el("td", { colspan: 11, class: "muted" }, "No chargers in this selection.")),
  );
}

function renderLocations(locations) {
  const busiest = [...locations].sort((a, b) => b.sessions - a.sessions || a.name.localeCompare(b.name));
  const shown = firstRows(busiest, "locations-note", "sessions");
  replaceChildren(
    byId("location-rows"),
    shown.length
      ? shown.map((l) =>
          el(
            "tr",
            {},
            el("td", {}, l.name),
            el("td", {}, l.timeZone),
            el("td", { class: "num" }, l.chargers),
            el("td", { class: "num" }, l.ports),
            el("td", { class: "num" }, number(l.sessions)),
            el("td", { class: "num" }, percent(l.utilisation)),
            el("td", { class: "num" }, uptime(l.uptimePercent)),
            el("td", { class: "num" }, revenueText(l.revenue)),
          ),
        )
      : el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No locations in this selection.")),
  );
}

function fillChoices(report) {
  if (filled) return;
  filled = true;
  const locationSelect = byId("f-location");
  const chosen = locationSelect.value;
  replaceChildren(
    locationSelect,
    el("option", { value: "" }, "All my sites"),
    report.locations.map((l) => el("option", { value: l.locationId }, l.name)),
  );
  locationSelect.value = chosen;
  const modelSelect = byId("f-model");
  const model = modelSelect.value;
  const models = [...new Set(report.chargers.map((c) => c.model).filter(Boolean))].sort();
  replaceChildren(modelSelect, el("option", { value: "" }, "All models"), models.map((m) => el("option", { value: m }, m)));
  modelSelect.value = model;
}

async function fillOrganisation() {
  // Regions and business units are the organisation's lists; a caller who may not read them filters by location.
  for (const [path, field, name] of [
    ["/v1/admin/regions", "region-field", "region"],
    ["/v1/admin/business-units", "unit-field", "businessUnit"],
  ]) {
    try {
      const answer = await api(path);
      const items = Array.isArray(answer) ? answer : answer.items || [];
      if (!items.length) continue;
      const select = byId(`f-${name}`);
      const chosen = select.value;
      replaceChildren(select, select.options[0], items.map((item) => el("option", { value: item.id }, item.name)));
      select.value = chosen;
      byId(field).hidden = false;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
  }
}

async function load() {
  const params = filterValues();
  history.replaceState(null, "", `${location.pathname}?${params}`);
  byId("key-figures").setAttribute("aria-busy", "true");
  const error = byId("metrics-error");
  try {
    const report = await api(`/v1/admin/metrics?${params}`);
    error.hidden = true;
    byId("period-note").textContent =
      `${report.from} to ${report.to} (${report.days} days, each site's local time); ` +
      `uptime ${utcText(report.uptimeFrom)} to ${utcText(report.uptimeTo)}`;
    if (!params.has("location") && !params.has("model")) fillChoices(report);
    renderFigures(report);
    renderHeatmap(report.heatmap);
    renderUtilisation(report.locations);
    renderChargers(report.chargers);
    renderLocations(report.locations);
    document.body.dataset.loaded = "true";
  } catch (failure) {
    if (!(failure instanceof ApiError)) throw failure;
    error.textContent = failure.message;
    error.hidden = false;
  }
}

async function downloadCsv(table) {
  // A plain link cannot carry the bearer token: fetch the file and hand it to the browser as a download.
  const params = filterValues();
  params.set("table", table);
  const auth = currentAuth();
  const response = await fetch(`/v1/admin/metrics.csv?${params}`, {
    headers: { authorization: `Bearer ${auth ? auth.accessToken : ""}`, accept: "text/csv" },
    cache: "no-store",
  });
  if (!response.ok) {
    byId("metrics-error").textContent = `The CSV could not be made (${response.status}).`;
    byId("metrics-error").hidden = false;
    return;
  }
  const disposition = response.headers.get("content-disposition") || "";
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || `metrics-${table}.csv`;
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
for (const button of form.querySelectorAll("[data-table]")) {
  button.addEventListener("click", () => downloadCsv(button.dataset.table));
}
restoreFilters();
fillOrganisation();
load();

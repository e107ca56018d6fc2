// Uptime by the NEVI rule: the period's report with its chart, the NEVI months, the outage log and exclusions.
import { OPERATIONS_ROLES, api, byId, confirmDialog, currentAuth, el, formatTime, label, replaceChildren, startPage, toast } from "./shell.js";

await startPage({ roles: OPERATIONS_ROLES });
byId("live-status").hidden = true; // this page reads reports on demand; it follows no live feed

const DAY = 86_400_000;
let logOffset = 0;
let reportRequest = 0; // answers to an older choice of period or level are dropped
let logRequest = 0;
const LOG_PAGE = 50;

/** A datetime-local value (browser time) for a Date, and back to an ISO instant (UTC). */
const toLocalInput = (date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
const fromLocalInput = (value) => new Date(value).toISOString();
// the server's clock ahead of this browser's (learnt from the first report): periods are the server's
let clockSkew = 0;
/** The server's now, up to the next whole minute (the inputs hold minutes; every period stops at now anyway). */
const nowUp = () => new Date(Math.ceil((Date.now() + clockSkew) / 60_000) * 60_000);
const percent = (value) => (value === null || value === undefined ? "—" : `${value.toFixed(2)} %`);

function lines(item) {
  if (item.belowNevi) return el("span", { class: "badge below-nevi" }, "Below 97 % (NEVI)");
  if (item.belowIndustry) return el("span", { class: "badge below-industry" }, "Below 98 %");
  return el("span", { class: "badge above-lines" }, "Above both");
}

function period() {
  return { from: fromLocalInput(byId("u-from").value), to: fromLocalInput(byId("u-to").value), level: byId("u-level").value };
}

/** Non-JSON answers (SVG, CSV) with the same sign-in; `api` first keeps the token fresh. */
async function fetchBlob(path) {
  const auth = currentAuth();
  const response = await fetch(path, { cache: "no-store", headers: { authorization: `Bearer ${auth.accessToken}` } });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return response.blob();
}

/** A data: URL of a blob (the console's policy admits images from the app and data: URLs only). */
function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function showChart(id, path) {
  const image = byId(id);
  try {
    image.src = await dataUrl(await fetchBlob(path));
    image.hidden = false;
  } catch (error) {
    image.hidden = true;
    toast(`The chart could not be drawn: ${error.message}`, "error");
  }
}

function prefillExclusion(kind, value) {
  byId("x-kind").value = kind;
  byId("x-target").value = value;
  byId("x-from").value = byId("u-from").value;
  byId("x-to").value = byId("u-to").value;
  byId("x-reason").focus();
}

/** The report of the period picked; with `serverDefault`, the server's default period (the last 30 days by its
 * clock), which then fills the picker. */
async function loadReport({ serverDefault = false } = {}) {
  // a change before the first answer filled the picker: the server's default period, at the level asked for
  if (!byId("u-from").value || !byId("u-to").value) serverDefault = true;
  let query = new URLSearchParams(serverDefault ? { level: byId("u-level").value } : period());
  const request = ++reportRequest;
  let report;
  try {
    report = await api(`/v1/admin/uptime?${query}`);
    if (request !== reportRequest) return;
  } catch (error) {
    toast(`The uptime report could not be loaded: ${error.message}`, "error");
    return;
  }
  if (serverDefault) {
    clockSkew = new Date(report.to).getTime() - Date.now();
    byId("u-from").value = toLocalInput(new Date(report.from));
    byId("u-to").value = toLocalInput(nowUp());
    byId("x-from").value = toLocalInput(new Date(nowUp().getTime() - DAY));
    byId("x-to").value = byId("u-to").value;
    query = new URLSearchParams(period());
  }
  history.replaceState(null, "", `?${query}`);
  const network = report.network;
  replaceChildren(
    byId("u-summary"),
    el("div", {}, el("div", { class: "muted small" }, "Network (mean of ports)"), el("div", { class: "figure" }, percent(network?.uptimePercent))),
    el("div", {}, el("div", { class: "muted small" }, "Ports"), el("div", { class: "figure" }, network ? network.ports : 0)),
    el("div", {}, el("div", { class: "muted small" }, `Per ${report.level} below 97 %`), el("div", { class: "figure" }, report.belowNevi)),
    el("div", {}, el("div", { class: "muted small" }, `Per ${report.level} below 98 %`), el("div", { class: "figure" }, report.belowIndustry)),
    el("div", {}, el("div", { class: "muted small" }, "Outage / excluded minutes"),
       el("div", { class: "figure" }, network ? `${Math.round(network.outageMinutes)} / ${Math.round(network.excludedMinutes)}` : "—")),
  );
  byId("u-chart-caption").textContent = `${formatTime(report.from)} – ${formatTime(report.to)}; ${report.method}.`;
  replaceChildren(
    byId("u-rows"),
    report.items.length
      ? report.items.map((item) =>
          el(
            "tr",
            {},
            el("td", {}, item.name),
            el("td", {}, item.level === "location" ? "—" : item.locationName || "—"),
            el("td", {}, item.ports),
            el("td", {}, item.outageMinutes.toFixed(1)),
            el("td", {}, item.excludedMinutes.toFixed(1)),
            el("td", {}, el("strong", {}, percent(item.uptimePercent))),
            el("td", {}, lines(item)),
            el(
              "td",
              {},
              el("button", {
                type: "button",
                class: "button small",
                onclick: () => prefillExclusion(
                  { location: "locationId", charger: "chargerId", port: "portId" }[item.level],
                  item.level === "charger" ? item.chargerId : item.id,
                ),
              }, "Exclude…"),
            ),
          ),
        )
      : el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No ports in your sites for this period.")),
  );
  await showChart("u-chart", `/v1/admin/uptime/chart.svg?${query}`);
}

/** The NEVI months up to the month picked (or, with none, the server's last full month). */
async function loadNevi() {
  const month = byId("u-month").value;
  let report;
  try {
    report = await api(`/v1/admin/uptime/nevi${month ? `?month=${encodeURIComponent(month)}` : ""}`);
  } catch (error) {
    toast(`The NEVI report could not be loaded: ${error.message}`, "error");
    return;
  }
  byId("u-month").value = report.month;
  const year = report.trailingTwelveMonths;
  replaceChildren(
    byId("u-nevi"),
    el("p", {}, "Twelve months together: ", el("strong", {}, percent(year.uptimePercent)),
       ` over ${year.ports} ports; ${report.portsBelowNevi.length} ports below 97 %.`),
    report.portsBelowNevi.length
      ? el("div", { class: "table-wrap" }, el("table", { class: "compact" },
          el("caption", {}, "Ports below 97 % over the twelve months"),
          el("thead", {}, el("tr", {}, ["Charger", "Port", "Location", "Uptime"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, report.portsBelowNevi.map((port) =>
            el("tr", {}, el("td", {}, port.chargerId), el("td", {}, port.evseUid), el("td", {}, port.locationName || "—"),
               el("td", {}, percent(port.uptimePercent))))),
        ))
      : null,
  );
  await showChart("u-nevi-chart", `/v1/admin/uptime/nevi/chart.svg?month=${encodeURIComponent(report.month)}`);
}

async function loadLog(append = false) {
  if (!append) logOffset = 0;
  // the log may load before the report has filled the period in: then it lists the latest outages
  const filled = byId("u-from").value && byId("u-to").value;
  const span = filled ? { from: period().from, to: period().to } : {};
  const query = new URLSearchParams({ ...span, limit: LOG_PAGE, offset: logOffset });
  if (byId("u-cause").value) query.set("cause", byId("u-cause").value);
  if (byId("u-charger").value.trim()) query.set("charger", byId("u-charger").value.trim());
  if (byId("u-open").checked) query.set("open", "true");
  const request = ++logRequest;
  let page;
  try {
    page = await api(`/v1/admin/outages?${query}`);
    if (request !== logRequest) return;
  } catch (error) {
    toast(`The outage log could not be loaded: ${error.message}`, "error");
    return;
  }
  const rows = page.items.map((outage) =>
    el(
      "tr",
      {},
      el("td", {}, outage.chargerId),
      el("td", {}, outage.connector ?? outage.evseUid),
      el("td", {}, outage.locationName || "—"),
      el("td", {}, el("span", { class: `badge cause-${outage.cause}` }, label(outage.cause))),
      el("td", {}, outage.errorCode ? el("code", {}, outage.errorCode) : "—"),
      el("td", {}, formatTime(outage.startedAt)),
      el("td", {}, outage.endedAt ? formatTime(outage.endedAt) : el("strong", {}, "still out")),
      el("td", {}, outage.minutes.toFixed(0)),
      el("td", {}, outage.excludedBy.length ? outage.excludedBy.map(label).join(", ") : "—"),
    ),
  );
  if (append) byId("u-log").append(...rows);
  else replaceChildren(byId("u-log"), rows.length ? rows : el("tr", {}, el("td", { colspan: 9, class: "muted" }, "No outage in this period.")));
  logOffset += page.items.length;
  const more = byId("u-log-more");
  replaceChildren(
    more,
    `${logOffset} of ${page.total} shown. `,
    logOffset < page.total ? el("button", { type: "button", class: "button small", onclick: () => loadLog(true) }, "Show more") : null,
  );
}

async function withdraw(exclusion) {
  const reason = el("textarea", { id: "withdraw-reason", rows: 2, required: true, minlength: 3, "aria-label": "Why it is withdrawn" });
  const ok = await confirmDialog("Withdraw this exclusion?", `${exclusion.name}, ${label(exclusion.category)}: it stays in the audit, marked withdrawn.`,
    { extra: el("div", { class: "field" }, el("label", { for: "withdraw-reason" }, "Why"), reason), confirmLabel: "Withdraw" });
  if (!ok) return;
  try {
    await api(`/v1/admin/outages/exclusions/${exclusion.id}`, { method: "DELETE", body: { reason: reason.value } });
    toast("Exclusion withdrawn.");
  } catch (error) {
    toast(`Not withdrawn: ${error.message}`, "error");
  }
  await Promise.all([loadExclusions(), loadReport(), loadLog()]);
}

async function loadExclusions() {
  let page;
  try {
    page = await api("/v1/admin/outages/exclusions");
  } catch (error) {
    toast(`The exclusions could not be loaded: ${error.message}`, "error");
    return;
  }
  replaceChildren(
    byId("u-exclusions"),
    page.items.length
      ? page.items.map((item) =>
          el(
            "tr",
            { class: item.withdrawnAt ? "withdrawn" : "" },
            el("td", {}, `${label(item.target)} ${item.name}`),
            el("td", {}, formatTime(item.from)),
            el("td", {}, formatTime(item.to)),
            el("td", {}, label(item.category)),
            el("td", {}, item.reason),
            el("td", {}, `${item.createdBy || "—"}, ${formatTime(item.createdAt)}`),
            el("td", {}, item.withdrawnAt ? `${item.withdrawnBy || "—"}, ${formatTime(item.withdrawnAt)}: ${item.withdrawalReason}` : "—"),
            el("td", {}, item.withdrawnAt ? null : el("button", { type: "button", class: "button small danger", onclick: () => withdraw(item) }, "Withdraw…")),
          ),
        )
      : el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No exclusion marked yet.")),
  );
}

async function markExclusion(event) {
  event.preventDefault();
  const error = byId("x-error");
  error.textContent = "";
  const body = {
    target: { [byId("x-kind").value]: byId("x-target").value.trim() },
    from: fromLocalInput(byId("x-from").value),
    to: fromLocalInput(byId("x-to").value),
    category: byId("x-category").value,
    reason: byId("x-reason").value,
  };
  try {
    await api("/v1/admin/outages/exclusions", { method: "POST", body });
  } catch (failure) {
    error.textContent = failure.problem?.detail || failure.message;
    return;
  }
  toast("Exclusion marked.");
  byId("x-reason").value = "";
  await Promise.all([loadExclusions(), loadReport(), loadLog()]);
}

function applyPreset(value) {
  const now = nowUp();
  let start = new Date(now.getTime() - Number(value) * DAY);
  let end = now;
  if (value === "last-month") {
    end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    start = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  }
  byId("u-from").value = toLocalInput(start);
  byId("u-to").value = toLocalInput(end);
}

async function start() {
  const params = new URLSearchParams(location.search);
  const given = params.has("from") && params.has("to");
  if (given) {
    byId("u-from").value = toLocalInput(new Date(params.get("from")));
    byId("u-to").value = toLocalInput(new Date(params.get("to")));
    byId("x-from").value = byId("u-from").value;
    byId("x-to").value = byId("u-to").value;
  }
  if (["location", "charger", "port"].includes(params.get("level"))) byId("u-level").value = params.get("level");
  byId("uptime-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadReport();
    loadLog();
  });
  byId("u-preset").addEventListener("change", (event) => {
    if (!event.target.value) return;
    applyPreset(event.target.value);
    loadReport();
    loadLog();
  });
  byId("u-level").addEventListener("change", () => loadReport());
  byId("nevi-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadNevi();
  });
  byId("log-filters").addEventListener("submit", (event) => event.preventDefault());
  byId("log-filters").addEventListener("change", () => loadLog());
  byId("exclusion-form").addEventListener("submit", markExclusion);
  byId("u-csv").addEventListener("click", async () => {
    try {
      await api("/v1/admin/uptime?level=network"); // keeps the sign-in fresh
      const blob = await fetchBlob(`/v1/admin/uptime/export.csv?${new URLSearchParams(period())}`);
      const link = el("a", { href: URL.createObjectURL(blob), download: `uptime-${period().level}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      toast(`The CSV could not be made: ${error.message}`, "error");
    }
  });
  await loadReport({ serverDefault: !given });
  await Promise.all([loadNevi(), loadLog(), loadExclusions()]);
}

start();

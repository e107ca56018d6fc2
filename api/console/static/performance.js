// Charger performance: the connectors derating now (worst first) and one charger's baselines per state-of-charge
// band against its rating, with its recent sessions' delivered versus expected power and its findings.
import { OPERATIONS_ROLES, api, byId, el, formatTime, replaceChildren, startPage, svg, toast } from "./shell.js";

await startPage({ roles: OPERATIONS_ROLES });

const kw = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} kW`);
const BASIS = { rating: "rating", ev_request: "the car's request", baseline: "its baseline" };

function table(caption, headings, rows) {
  return el(
    "table",
    { class: "compact" },
    el("caption", { class: "visually-hidden" }, caption),
    el("thead", {}, el("tr", {}, headings.map((heading) => el("th", { scope: "col" }, heading)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell) => el("td", {}, cell ?? "—"))))),
  );
}

function chargerLink(chargerId) {
  return el(
    "a",
    {
      href: `?charger=${encodeURIComponent(chargerId)}`,
      onclick: (event) => {
        event.preventDefault();
        show(chargerId);
      },
    },
    chargerId,
  );
}

async function loadDerating() {
  let flagged;
  try {
    flagged = await api("/v1/admin/derating");
  } catch (error) {
    toast(`The derating list could not be loaded: ${error.message}`, "error");
    return;
  }
  replaceChildren(
    byId("p-derating"),
    flagged.length
      ? table(
          "Connectors derating now",
          ["Charger", "Connector", "Delivered", "Expected", "Ratio", "Against", "Model / firmware", "Since"],
          flagged.map((item) => [
            chargerLink(item.chargerId),
            String(item.connectorId),
            item.detail.delivered,
            item.detail.expected,
            item.ratio === null ? "—" : `${Math.round(item.ratio * 100)} %`,
            BASIS[item.detail.basis] || item.detail.basis,
            [item.model, item.firmwareVersion].filter(Boolean).join(" / ") || "—",
            formatTime(item.since),
          ]),
        )
      : el("p", { class: "muted", id: "p-none" }, "No connector is derating."),
  );
}

function findingText(finding) {
  const d = finding.detail;
  const since = finding.since ? ` since ${formatTime(finding.since)}` : "";
  if (finding.rule === "derating") {
    return `${d.delivered} delivered against ${d.expected} expected (${BASIS[d.basis] || d.basis}) below ${d.socBelow} state of charge${since}`;
  }
  const rest = Object.entries(d)
    .filter(([key]) => key !== "kind")
    .map(([key, value]) => `${key} ${value}`)
    .join(", ");
  return `${(d.kind || "").replaceAll("_", " ")}: ${rest}${since}`;
}

/** Bars of the baseline per SoC band, with the rating as a line: server data, drawn here without a library. */
function baselineChart(connector) {
  const width = 420;
  const height = 150;
  const top = Math.max(connector.ratingKw || 0, ...connector.baseline.map((band) => band.powerKw), 1);
  const y = (value) => height - 20 - (value / top) * (height - 45);
  const bandWidth = width / 5;
  const bars = connector.baseline.map((band) => {
    const index = Number.parseInt(band.socBand, 10) / 20;
    const middle = index * bandWidth + bandWidth / 2;
    return svg(
      "g",
      {},
      svg("rect", { x: index * bandWidth + 8, y: y(band.powerKw), width: bandWidth - 16, height: height - 20 - y(band.powerKw), fill: "#2f6fb0" }),
      svg("text", { x: middle, y: y(band.powerKw) - 4, "text-anchor": "middle", "font-size": 11 }, `${band.powerKw} kW`),
    );
  });
  const labels = [0, 20, 40, 60, 80].map((lower, index) =>
    svg("text", { x: index * bandWidth + bandWidth / 2, y: height - 4, "text-anchor": "middle", "font-size": 11 }, `${lower}-${lower + 20} %`),
  );
  const rating = connector.ratingKw
    ? [
        svg("line", { x1: 0, x2: width, y1: y(connector.ratingKw), y2: y(connector.ratingKw), stroke: "#a3231b", "stroke-dasharray": "4 3" }),
        svg("text", { x: width - 4, y: y(connector.ratingKw) - 4, "text-anchor": "end", "font-size": 11, fill: "#a3231b" }, `rating ${kw(connector.ratingKw)}`),
      ]
    : null;
  return svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": `Baseline of connector ${connector.connectorId} per state of charge` },
    bars,
    rating,
    labels,
  );
}

async function show(chargerId) {
  byId("p-charger").value = chargerId;
  history.replaceState(null, "", `?charger=${encodeURIComponent(chargerId)}`);
  let view;
  try {
    view = await api(`/v1/admin/chargers/${encodeURIComponent(chargerId)}/performance`);
  } catch (error) {
    toast(error.status === 404 ? `No charger ${chargerId} among your sites.` : error.message, "error");
    return;
  }
  byId("p-detail-panel").hidden = false;
  byId("p-detail-title").textContent = `${view.chargerId} ${[view.vendor, view.model, view.firmwareVersion].filter(Boolean).join(" · ")}`;
  replaceChildren(
    byId("p-detail"),
    view.connectors.map((connector) =>
      el(
        "div",
        { class: "connector" },
        el("h3", {}, `Connector ${connector.connectorId}`, connector.ratingKw ? ` · rated ${kw(connector.ratingKw)} ${connector.dc ? "DC" : "AC"}` : ""),
        connector.findings
          .filter((finding) => finding.active)
          .map((finding) =>
            el("p", {}, el("span", { class: "badge severity-degraded" }, finding.rule === "derating" ? "Derating" : "Energy anomaly"), " ", findingText(finding)),
          ),
        connector.baseline.length
          ? baselineChart(connector)
          : el("p", { class: "muted" }, "No baseline yet: it is learnt from sessions that deliver normally."),
      ),
    ),
    view.sessions.length
      ? table(
          "Recent sessions",
          ["Ended", "Connector", "Energy", "SoC", "Delivered", "Expected", "Verdict", "Meter"],
          view.sessions.map((s) => [
            formatTime(s.endedAt),
            String(s.connectorId),
            `${s.energyKwh} kWh`,
            s.socStart === null ? "—" : `${Math.round(s.socStart)} → ${Math.round(s.socEnd)} %`,
            kw(s.deliveredKw),
            s.expectedKw === null ? "—" : `${kw(s.expectedKw)} (${BASIS[s.basis] || s.basis})`,
            s.derating ? "derating" : s.limited ? "limited by us" : s.judged ? "normal" : "not judged",
            s.anomalies.length ? s.anomalies.map((a) => a.kind.replaceAll("_", " ")).join(", ") : "ok",
          ]),
        )
      : el("p", { class: "muted" }, "No session has ended here yet."),
  );
}

byId("p-charger-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const chargerId = byId("p-charger").value.trim();
  if (chargerId) show(chargerId);
});

await loadDerating();
const preset = new URLSearchParams(location.search).get("charger");
if (preset) await show(preset);

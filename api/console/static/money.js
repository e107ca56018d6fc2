// Money: the reconciliation of a period, site hosts' revenue-share statements and their agreements.
import {
  ApiError,
  OPERATIONS_ROLES,
  api,
  byId,
  currentAuth,
  el,
  formatTime,
  label,
  refreshTokens,
  replaceChildren,
  startPage,
  toast,
} from "./shell.js";

const auth = await startPage({ roles: OPERATIONS_ROLES });
byId("live-status").hidden = true; // the figures of a period are read on demand, not followed live
const isAdmin = auth.profile.role === "admin";
let latest = 0;

const isoDay = (date) => date.toISOString().slice(0, 10);
const amount = (value, currency) => (value === null || value === undefined ? "—" : `${value} ${currency}`);

function monthOf(offset) {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  const last = offset === 0 ? now : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset + 1, 0));
  return [isoDay(first), isoDay(last)];
}

function table(caption, headings, rows, { numeric = [] } = {}) {
  return el(
    "table",
    { class: "compact" },
    el("caption", { class: "visually-hidden" }, caption),
    el("thead", {}, el("tr", {}, headings.map((heading, i) => el("th", { scope: "col", class: numeric.includes(i) ? "num" : "" }, heading)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell, i) => el("td", { class: numeric.includes(i) ? "num" : "" }, cell ?? "—"))))),
  );
}

function query() {
  const params = new URLSearchParams({ from: byId("m-from").value, to: byId("m-to").value });
  const host = byId("m-host").value.trim();
  return { params, host };
}

/** A file from the API (CSV), fetched with the bearer token and handed to the browser as a download. */
async function download(path, name) {
  const send = (token) => fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: "no-store" });
  let response = await send(currentAuth().accessToken);
  if (response.status === 401) response = await send((await refreshTokens()).accessToken);
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function showReconciliation(report) {
  const bits = [
    `${report.sessions} billed sessions`,
    `${report.matched} matched`,
    `${report.mismatched} with a mismatch`,
    `${report.outside} paid outside the app`,
  ];
  byId("m-reconciliation-summary").textContent = `${bits.join(" · ")} (payment provider: ${report.provider}).`;
  replaceChildren(
    byId("m-totals"),
    report.totals.length
      ? table(
          "Totals per currency",
          ["Currency", "Sessions", "Billed", "Of it outside the app", "Captured", "Refunded", "Adjusted", "Disputed", "Lost in disputes", "Net"],
          report.totals.map((t) => [t.currency, String(t.sessions), t.billed, t.billedOutside, t.captured, t.refunded, t.adjusted, t.disputed, t.lostInDisputes, el("strong", {}, t.net)]),
          { numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
        )
      : el("p", { class: "muted" }, "Nothing was billed in this period."),
  );
  const counts = Object.entries(report.counts).filter(([, n]) => n > 0);
  replaceChildren(
    byId("m-mismatches"),
    report.mismatches.length
      ? [
          el("p", { class: "muted" }, counts.map(([kind, n]) => `${label(kind)}: ${n}`).join(" · ")),
          table(
            "Mismatches",
            ["Kind", "Session", "Location", "At stake", "Billed", "Captured", "What we found", "At the provider"],
            report.mismatches.map((m) => [
              el("span", { class: `badge mismatch ${m.kind.startsWith("dispute") ? "severity-safety" : "severity-fault"}` }, m.title),
              m.sessionId ? el("code", { title: m.sessionId }, m.sessionId.slice(0, 8)) : "—",
              m.locationName,
              amount(m.amount, m.currency),
              amount(m.billed, m.currency),
              amount(m.captured, m.currency),
              m.detail,
              m.providerId || m.paymentReference,
            ]),
            { numeric: [3, 4, 5] },
          ),
        ]
      : el("p", { class: "muted", id: "m-no-mismatch" }, "Every bill matches the payment provider."),
  );
}

let printedAt = 0;
const PRINT_LINK_MS = 9 * 60_000; // the API's print links last ten minutes

function showStatements(report) {
  byId("m-statements-print").href = report.printUrl;
  printedAt = Date.now();
  replaceChildren(
    byId("m-statements"),
    report.statements.length
      ? report.statements.map((statement) =>
          el(
            "article",
            { class: "statement" },
            el("h3", {}, statement.hostName, statement.contact ? el("span", { class: "muted small" }, ` · ${statement.contact}`) : null),
            table(
              `Statement of ${statement.hostName}`,
              ["Location", "Terms", "Days", "Sessions", "kWh", "Net revenue excl. VAT", "Host share"],
              [
                ...statement.lines.map((line) => [
                  line.locationName,
                  line.basis === "percent" ? `${line.rate} % of net revenue` : `${line.rate} ${line.shareCurrency} per kWh`,
                  `${line.daysFrom} to ${line.daysTo}`,
                  String(line.sessions),
                  line.energyKwh,
                  amount(line.netRevenue, line.currency),
                  amount(line.share, line.shareCurrency),
                ]),
                ...statement.totals.map((t) => [el("strong", {}, `Total (${t.currency})`), "", "", String(t.sessions), t.energyKwh, amount(t.netRevenue, t.currency), el("strong", {}, amount(t.share, t.currency))]),
              ],
              { numeric: [3, 4, 5, 6] },
            ),
          ),
        )
      : el("p", { class: "muted" }, "No host agreement covers this period."),
  );
}

function showAgreements(agreements) {
  replaceChildren(byId("m-hosts"), [...new Set(agreements.map((a) => a.hostName))].map((name) => el("option", { value: name })));
  replaceChildren(
    byId("m-agreements"),
    agreements.length
      ? table(
          "Host agreements",
          ["Host", "Contact", "Location", "Terms", "Valid from", "Valid to", "Changed"],
          agreements.map((a) => [
            a.hostName,
            a.contact,
            a.locationName,
            a.basis === "percent" ? `${a.rate} % of net revenue` : `${a.rate} ${a.currency} per kWh`,
            a.validFrom,
            a.validTo || "open-ended",
            `${formatTime(a.updatedAt)} by ${a.updatedBy}`,
          ]),
        )
      : el("p", { class: "muted" }, "No site host has an agreement yet."),
  );
}

async function load() {
  const { params, host } = query();
  if (!params.get("from") || !params.get("to")) return;
  history.replaceState(null, "", `?${params}${host ? `&host=${encodeURIComponent(host)}` : ""}`);
  const request = ++latest;
  const shares = new URLSearchParams(params);
  if (host) shares.set("host", host);
  const [reconciliation, statements, agreements] = await Promise.allSettled([
    api(`/v1/admin/reconciliation?${params}`),
    api(`/v1/admin/revenue-share?${shares}`),
    api("/v1/admin/host-agreements"),
  ]);
  if (request !== latest) return; // a newer period is on its way
  if (reconciliation.status === "fulfilled") showReconciliation(reconciliation.value);
  else {
    byId("m-reconciliation-summary").textContent = `The reconciliation could not be made: ${reconciliation.reason.message}`;
    toast(`Reconciliation: ${reconciliation.reason.message}`, "error");
  }
  if (statements.status === "fulfilled") showStatements(statements.value);
  else toast(`Statements: ${statements.reason.message}`, "error");
  if (agreements.status === "fulfilled") showAgreements(agreements.value);
}

function setPeriod([from, to]) {
  byId("m-from").value = from;
  byId("m-to").value = to;
  load();
}

const initial = new URLSearchParams(location.search);
const [monthStart, today] = monthOf(0);
byId("m-from").value = initial.get("from") || monthStart;
byId("m-to").value = initial.get("to") || today;
byId("m-host").value = initial.get("host") || "";
byId("money-period").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
byId("m-this-month").addEventListener("click", () => setPeriod(monthOf(0)));
byId("m-last-month").addEventListener("click", () => setPeriod(monthOf(-1)));
byId("m-reconciliation-csv").addEventListener("click", () => {
  const { params } = query();
  download(`/v1/admin/reconciliation.csv?${params}`, `reconciliation-${params.get("from")}-${params.get("to")}.csv`).catch((error) =>
    toast(`The CSV could not be made: ${error.message}`, "error"),
  );
});
byId("m-statements-csv").addEventListener("click", () => {
  const { params, host } = query();
  if (host) params.set("host", host);
  download(`/v1/admin/revenue-share.csv?${params}`, `revenue-share-${params.get("from")}-${params.get("to")}.csv`).catch((error) =>
    toast(`The CSV could not be made: ${error.message}`, "error"),
  );
});
byId("m-statements-print").addEventListener("click", (event) => {
  if (Date.now() - printedAt < PRINT_LINK_MS) return;
  event.preventDefault();
  toast("The print link had expired; it is renewed now: choose Print statements again.");
  load();
});

if (isAdmin) {
  // the form is shown to admins only (data-roles); operators read the agreements
  const form = byId("m-agreement-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const body = { ...data, currency: data.currency || null, validTo: data.validTo || null };
    try {
      await api("/v1/admin/host-agreements", { method: "POST", body });
      toast(`Agreement with ${data.hostName} added.`);
      form.reset();
      load();
    } catch (error) {
      const fields = error.problem && error.problem.errors ? ` (${error.problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ")})` : "";
      toast(`The agreement was not added: ${error.message}${fields}`, "error");
    }
  });
}

load();

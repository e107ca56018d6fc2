// A ticket: what the driver and the assistant said, the conversation, the charger's live state, remote actions,
// refunds, replies and notes, status and assignment. Live: the queue feed says when this ticket changes.
import {
  api,
  badge,
  byId,
  confirmDialog,
  el,
  formatTime,
  label,
  liveFeed,
  money,
  replaceChildren,
  shortcut,
  slaView,
  startPage,
  svg,
  toast,
} from "./shell.js";

const auth = await startPage();
const ticketId = Number(document.body.dataset.ticketId);
const base = `/v1/support/tickets/${ticketId}`;
let ticket = null;
let diagnostics = null;
let reloadTimer = null;

// ----- the ticket -------------------------------------------------------------------------------------------

async function loadTicket() {
  try {
    ticket = await api(base);
  } catch (error) {
    toast(error.status === 404 ? `There is no ticket ${ticketId}.` : `The ticket could not be loaded: ${error.message}`, "error");
    return;
  }
  renderHeader();
  renderTranscript();
  renderSnapshot();
  renderMessages();
  renderEvents();
}

function ticketSla() {
  if (ticket.slaState === "met" || ticket.slaState === "none") return slaView(ticket.slaState, null);
  const due = ticket.firstRespondedAt ? ticket.resolutionDueAt : ticket.firstResponseDueAt || ticket.resolutionDueAt;
  return slaView(ticket.slaState, due);
}

function renderHeader() {
  document.title = `${ticket.number} · ${document.title.split(" · ").pop()}`;
  byId("t-number").textContent = ticket.number;
  byId("t-summary").textContent = ticket.summary;
  replaceChildren(
    byId("t-status"),
    badge("status", ticket.status),
    ticket.mergedIntoId
      ? [" merged into ", el("a", { href: `${document.body.dataset.console}/tickets/${ticket.mergedIntoId}` }, `ticket ${ticket.mergedIntoId}`)]
      : null,
  );
  replaceChildren(byId("t-priority"), badge("priority", ticket.priority));
  const sla = ticketSla();
  replaceChildren(byId("t-sla"), el("span", { class: `sla sla-${sla.state}` }, sla.text));
  replaceChildren(
    byId("t-driver"),
    ticket.driver ? [ticket.driver.name || "—", el("br"), el("span", { class: "muted small" }, ticket.driver.email)] : "—",
  );
  replaceChildren(byId("t-charger"), ticket.chargerId ? el("span", { class: "mono" }, ticket.chargerId) : "—");
  byId("t-assignee").textContent = ticket.assignee ? ticket.assignee.name : "Unassigned";
  const mine = Boolean(ticket.assignee && ticket.assignee.id === auth.profile.id);
  byId("claim").disabled = mine;
  byId("claim").textContent = mine ? "Yours" : "Claim";
  byId("unassign").disabled = !ticket.assignee;
  byId("t-category").textContent = ticket.category ? label(ticket.category) : "—";
  byId("t-rating").textContent = ticket.rating
    ? `${ticket.rating.score} / 5${ticket.rating.comment ? `: “${ticket.rating.comment}”` : ""}`
    : "Not rated";
  byId("status-select").value = ["new"].includes(ticket.status) ? "open" : ticket.status;
  byId("priority-select").value = ticket.priority;
}

function renderTranscript() {
  const lines = ticket.transcript || [];
  replaceChildren(
    byId("transcript"),
    lines.length
      ? lines.map((line) =>
          el(
            "li",
            { class: `line role-${line.role}` },
            el("span", { class: "who" }, line.role === "assistant" ? "Assistant" : line.role === "driver" || line.role === "user" ? "Driver" : label(line.role)),
            line.at ? el("time", { datetime: line.at, class: "muted small" }, formatTime(line.at)) : null,
            el("p", {}, line.text),
          ),
        )
      : el("li", { class: "muted" }, "No conversation with the assistant before this ticket."),
  );
}

function snapshotValue(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value !== "object") return String(value);
  return Object.entries(value)
    .filter(([, item]) => item !== null && item !== undefined && typeof item !== "object")
    .map(([key, item]) => `${label(key)}: ${item}`)
    .join(", ");
}

function renderSnapshot() {
  const snapshot = ticket.diagnostics || {};
  const tried = ticket.actionsTried || [];
  const rows = Object.entries(snapshot).filter(([key]) => key !== "lastChargerMessages");
  replaceChildren(
    byId("snapshot"),
    rows.length
      ? el("dl", { class: "facts small-facts" }, rows.map(([key, value]) => el("div", {}, el("dt", {}, label(key)), el("dd", {}, snapshotValue(value)))))
      : el("p", { class: "muted small" }, "No snapshot."),
    el("h3", {}, "Actions the assistant tried"),
    tried.length
      ? el("ul", {}, tried.map((action) => el("li", {}, `${label(action.kind || action.action || "")}: ${action.status || ""}${action.detail ? `, ${action.detail}` : ""}`)))
      : el("p", { class: "muted small" }, "None."),
  );
}

function renderMessages() {
  const messages = ticket.messages || [];
  replaceChildren(
    byId("messages"),
    messages.length
      ? messages.map((message) => {
          const kind = message.visibility;
          const heading =
            kind === "internal" ? "Internal note" : kind === "system" ? "System" : message.authorRole === "driver" ? "Driver" : "Reply";
          return el(
            "li",
            { class: `message message-${kind}`, "aria-label": `${heading} by ${message.authorName || label(message.authorRole)}` },
            el(
              "div",
              { class: "message-meta" },
              el("span", { class: `kind kind-${kind}` }, heading),
              el("span", {}, message.authorName || label(message.authorRole)),
              el("time", { datetime: message.createdAt }, formatTime(message.createdAt)),
            ),
            el("p", {}, message.text),
          );
        })
      : el("li", { class: "muted" }, "No messages yet."),
  );
}

function renderEvents() {
  const events = ticket.events || [];
  replaceChildren(
    byId("events"),
    events.map((event) =>
      el(
        "li",
        {},
        el("time", { datetime: event.at }, formatTime(event.at)),
        " ",
        el("strong", {}, event.actorName || label(event.actorRole)),
        ` ${label(event.action)}`,
        event.detail && Object.keys(event.detail).length ? el("span", { class: "muted small" }, ` ${describe(event.detail)}`) : null,
      ),
    ),
  );
}

function describe(detail) {
  if (typeof detail !== "object") return String(detail);
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`)
    .join(", ");
}

// ----- diagnostics ------------------------------------------------------------------------------------------

async function loadDiagnostics() {
  try {
    diagnostics = await api(`${base}/diagnostics`);
    renderDiagnostics();
  } catch (error) {
    replaceChildren(byId("diagnostics"), el("p", { class: "muted" }, `No diagnostics: ${error.message}`));
  }
}

function table(caption, headings, rows) {
  return el(
    "table",
    { class: "compact" },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, headings.map((heading) => el("th", { scope: "col" }, heading)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell) => el("td", {}, cell ?? "—"))))),
  );
}

function facts(pairs) {
  return el(
    "dl",
    { class: "facts small-facts" },
    pairs.filter(Boolean).map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", {}, value ?? "—"))),
  );
}

function renderCharger(charger) {
  if (!charger) return el("p", { class: "muted" }, "No charger is linked to this ticket.");
  const connectors = [];
  for (const evse of charger.evses || []) {
    for (const connector of evse.connectors || []) {
      connectors.push([String(evse.evseId), String(connector.connectorId), connector.status, connector.errorCode]);
    }
  }
  return el(
    "div",
    { id: "charger-status" },
    el("h3", {}, "Charger ", el("span", { class: "mono" }, charger.id)),
    facts([
      ["Connection", el("span", { class: `badge ${charger.connected ? "online" : "offline"}` }, charger.connected ? "Connected" : "Offline")],
      ["Status", charger.status],
      ["Last heard", formatTime(charger.lastHeard)],
      ["Make and model", [charger.vendor, charger.model].filter(Boolean).join(" ") || "—"],
      ["Firmware", charger.firmware],
    ]),
    connectors.length ? table("Connectors", ["EVSE", "Connector", "Status", "Error"], connectors) : null,
  );
}

function meterChart(curve) {
  const points = (curve || []).filter((point) => point.at);
  if (points.length < 2) return el("p", { class: "muted small" }, "Not enough meter values for a curve yet.");
  const width = 320;
  const height = 120;
  const pad = { left: 36, right: 8, top: 8, bottom: 20 };
  const times = points.map((point) => new Date(point.at).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const maxEnergy = Math.max(1, ...points.map((point) => Number(point.energyWh) || 0));
  const maxPower = Math.max(1, ...points.map((point) => Number(point.powerW) || 0));
  const x = (t) => pad.left + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.left - pad.right);
  const y = (value, max) => height - pad.bottom - (value / max) * (height - pad.top - pad.bottom);
  const line = (key, max) =>
    points.map((point, index) => `${index ? "L" : "M"}${x(times[index]).toFixed(1)},${y(Number(point[key]) || 0, max).toFixed(1)}`).join(" ");
  const kwh = (maxEnergy / 1000).toFixed(2);
  const description = `Energy delivered rose to ${kwh} kWh between ${formatTime(points[0].at)} and ${formatTime(points[points.length - 1].at)}; peak power ${(maxPower / 1000).toFixed(1)} kW.`;
  return el(
    "figure",
    { class: "chart" },
    svg(
      "svg",
      { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": description, class: "meter-chart" },
      svg("title", {}, description),
      svg("line", { x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom, class: "axis" }),
      svg("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom, class: "axis" }),
      svg("text", { x: pad.left - 4, y: pad.top + 8, class: "tick", "text-anchor": "end" }, kwh),
      svg("text", { x: pad.left - 4, y: height - pad.bottom, class: "tick", "text-anchor": "end" }, "0"),
      svg("path", { d: line("powerW", maxPower), class: "series-power" }),
      svg("path", { d: line("energyWh", maxEnergy), class: "series-energy" }),
    ),
    el(
      "figcaption",
      { class: "small" },
      el("span", { class: "key key-energy" }, "Energy (kWh, scale on the left)"),
      " ",
      el("span", { class: "key key-power" }, "Power (peak ", (maxPower / 1000).toFixed(1), " kW)"),
    ),
  );
}

function renderSession(session) {
  if (!session) return el("p", { class: "muted" }, "No charging session is linked to this ticket.");
  const cost = session.cost;
  const lines = cost && cost.lines ? cost.lines : [];
  return el(
    "div",
    { id: "session-status" },
    el("h3", {}, "Session"),
    facts([
      ["Status", label(session.status)],
      ["Started", formatTime(session.startedAt)],
      ["Ended", session.endedAt ? formatTime(session.endedAt) : "Still running"],
      ["Energy", `${((Number(session.energyWh) || 0) / 1000).toFixed(2)} kWh`],
      ["Cost", cost ? money(cost.total, cost.currency) : "—"],
    ]),
    meterChart(session.meterCurve),
    lines.length ? costTable(lines, cost) : null,
  );
}

function costTable(lines, cost) {
  const quantities = lines.some((line) => line.quantity !== undefined);
  const rows = lines.map((line) => [
    line.description || line.label || label(line.kind || line.type || ""),
    ...(quantities ? [line.quantity !== undefined ? `${line.quantity} ${line.unit || ""}`.trim() : "—"] : []),
    money(line.amountInclVat ?? line.amount ?? line.total, cost.currency),
  ]);
  const blank = quantities ? [""] : [];
  if (cost.refunded !== undefined && Number(cost.refunded) > 0) {
    rows.push(["Refunded", ...blank, `− ${money(cost.refunded, cost.currency)}`]);
    rows.push([el("strong", {}, "Net"), ...blank, el("strong", {}, money(cost.net, cost.currency))]);
  }
  return table("Cost breakdown", ["Item", ...(quantities ? ["Quantity"] : []), "Amount"], rows);
}

function renderDriver(driver) {
  if (!driver) return null;
  const sessions = driver.lastSessions || [];
  return el(
    "div",
    { id: "driver-status" },
    el("h3", {}, "Driver"),
    facts([
      ["Name", driver.name],
      ["Email", driver.email],
      ["Payment", label(driver.paymentState || "unknown")],
    ]),
    sessions.length
      ? table(
          "Last sessions",
          ["Started", "Energy", "Total", "Payment"],
          sessions.map((item) => [
            formatTime(item.startedAt),
            `${((Number(item.energyWh) || 0) / 1000).toFixed(2)} kWh`,
            money(item.total, item.currency),
            label(item.paymentState || ""),
          ]),
        )
      : null,
  );
}

function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "—";
}

function direction(value) {
  const text = String(value || "");
  if (text.startsWith("charger") || text === "in" || text === "received") return "from the charger";
  if (text.startsWith("csms") || text === "out" || text === "sent") return "to the charger";
  return label(text);
}

function renderJournal(data) {
  const journal = [...(data.journal || [])].sort((a, b) => String(b.at).localeCompare(String(a.at)));
  if (data.journalAvailable === false) return el("p", { class: "muted small" }, "The OCPP message journal is not available here.");
  if (!journal.length) return el("p", { class: "muted small" }, "No OCPP messages recorded yet.");
  return el(
    "details",
    { class: "journal" },
    el("summary", {}, journal.length === 1 ? "The last OCPP message" : `The last ${journal.length} OCPP messages`),
    el(
      "div",
      { class: "scroll-box", tabindex: "0", role: "region", "aria-label": "OCPP messages, newest first" },
      table(
        "OCPP messages, newest first",
        ["Time", "Direction", "Message"],
        journal.map((entry) => [
          clock(entry.at),
          direction(entry.direction),
          el(
            "span",
            {},
            `${entry.action || ""} ${label(entry.messageType || "")}`.trim(),
            el("code", { class: "payload" }, JSON.stringify(entry.payload ?? {}).slice(0, 160)),
          ),
        ]),
      ),
    ),
  );
}

function renderDiagnostics() {
  const faults = diagnostics.faults || [];
  const journalOpen = Boolean(document.querySelector("#diagnostics details.journal[open]"));
  replaceChildren(
    byId("diagnostics"),
    renderCharger(diagnostics.charger),
    faults.length
      ? el("div", {}, el("h3", {}, "Faults"), el("ul", { class: "faults" }, faults.map((fault) => el("li", {}, el("time", { datetime: fault.at }, formatTime(fault.at)), ` ${label(fault.kind)}: ${fault.detail ? describe(fault.detail) : ""}`))))
      : null,
    renderJournal(diagnostics),
    renderSession(diagnostics.session),
    renderDriver(diagnostics.driver),
  );
  // A refresh every 15 seconds must not fold the journal the agent is reading.
  const journal = document.querySelector("#diagnostics details.journal");
  if (journal && journalOpen) journal.open = true;
}

// ----- remote actions ---------------------------------------------------------------------------------------

function connectorChoices() {
  const choices = [];
  const charger = diagnostics && diagnostics.charger;
  for (const evse of (charger && charger.evses) || []) {
    for (const connector of evse.connectors || []) {
      choices.push({ evseId: evse.evseId, connectorId: connector.connectorId, status: connector.status });
    }
  }
  return choices.length ? choices : [{ evseId: 1, connectorId: 1, status: null }];
}

async function runAction(action) {
  const body = { action: action.action };
  let extra = null;
  let connector = null;
  let operative = null;
  if (action.needsConnector) {
    connector = el(
      "select",
      { id: "action-connector" },
      connectorChoices().map((choice, index) =>
        el("option", { value: String(index) }, `EVSE ${choice.evseId}, connector ${choice.connectorId}${choice.status ? ` (${choice.status})` : ""}`),
      ),
    );
    extra = el("div", { class: "field" }, el("label", { for: "action-connector" }, "Connector"), connector);
  }
  if (action.action === "change_availability") {
    operative = el("select", { id: "action-operative" }, el("option", { value: "false" }, "Inoperative"), el("option", { value: "true" }, "Operative"));
    extra = el("div", {}, extra, el("div", { class: "field" }, el("label", { for: "action-operative" }, "Availability"), operative));
  }
  const charger = ticket && ticket.chargerId ? ticket.chargerId : "the charger";
  const confirmed = await confirmDialog(action.label, `${action.label} on ${charger}? This reaches the charger now.`, {
    extra,
    confirmLabel: action.label,
  });
  if (!confirmed) return;
  if (connector) {
    const choice = connectorChoices()[Number(connector.value)];
    body.connectorId = choice.connectorId;
    body.evseId = choice.evseId;
  }
  if (operative) body.operative = operative.value === "true";
  const pending = toast(`${action.label}: sent to ${charger}…`);
  try {
    const result = await api(`${base}/actions`, { method: "POST", body });
    pending.remove();
    toast(`${action.label}: the charger answered “${result.status}”${result.detail ? `, ${result.detail}` : ""}`, "success");
  } catch (error) {
    pending.remove();
    toast(`${action.label} failed: ${error.message}`, "error");
  }
  loadTicket();
  loadDiagnostics();
}

async function loadActions() {
  let actions = [];
  try {
    actions = await api(`${base}/actions`);
  } catch (error) {
    replaceChildren(byId("actions"), el("p", { class: "muted" }, `No actions: ${error.message}`));
    return;
  }
  replaceChildren(
    byId("actions"),
    actions.length
      ? actions.map((action) =>
          el("button", { type: "button", class: `button${action.adminOnly ? " danger" : ""}`, dataset: { action: action.action }, onclick: () => runAction(action) }, action.label),
        )
      : el("p", { class: "muted" }, "No remote action applies to this ticket."),
  );
}

// ----- refunds ----------------------------------------------------------------------------------------------

async function loadRefunds() {
  try {
    const refunds = await api(`${base}/refunds`);
    replaceChildren(
      byId("refunds"),
      refunds.map((refund) =>
        el("li", {}, `${money(refund.amount, refund.currency)} · ${label(refund.reasonCode)} · ${label(refund.status)} · ${formatTime(refund.createdAt)}`),
      ),
    );
  } catch {
    replaceChildren(byId("refunds"));
  }
}

async function submitRefund(event) {
  event.preventDefault();
  const form = event.target;
  const amount = byId("refund-amount").value.trim().replace(",", ".");
  if (amount && !/^\d+(\.\d{1,2})?$/.test(amount)) {
    toast("The amount is a number such as 4.50", "error");
    byId("refund-amount").focus();
    return;
  }
  const reasonCode = byId("refund-reason").value;
  const comment = byId("refund-comment").value.trim();
  const what = amount ? money(amount, (diagnostics && diagnostics.session && diagnostics.session.cost && diagnostics.session.cost.currency) || "EUR") : "everything still refundable";
  const confirmed = await confirmDialog("Refund", `Refund ${what} to the driver (${label(reasonCode)})?`, { confirmLabel: "Refund" });
  if (!confirmed) return;
  const body = { reasonCode };
  if (amount) body.amount = amount;
  if (comment) body.comment = comment;
  const submit = byId("refund-submit");
  submit.disabled = true;
  try {
    const refund = await api(`${base}/refunds`, { method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() } });
    toast(`Refund of ${money(refund.amount, refund.currency)} ${refund.status === "succeeded" ? "issued" : label(refund.status)}`, "success");
    form.reset();
  } catch (error) {
    toast(`The refund failed: ${error.message}`, "error");
  } finally {
    submit.disabled = false;
  }
  loadRefunds();
  loadTicket();
  loadDiagnostics();
}

// ----- replies, notes, status, assignment -------------------------------------------------------------------

function composerKind() {
  return document.querySelector('input[name="kind"]:checked').value;
}

function updateComposer() {
  const note = composerKind() === "note";
  byId("message-label").textContent = note ? "Internal note (never shown to the driver)" : "Reply to the driver";
  byId("send").textContent = note ? "Add note" : "Send reply";
  byId("composer").classList.toggle("composing-note", note);
}

async function loadCanned() {
  try {
    const replies = await api(`${base}/canned-replies`);
    const select = byId("canned");
    for (const reply of replies) select.append(el("option", { value: reply.id }, reply.title));
    select.addEventListener("change", () => {
      const reply = replies.find((item) => String(item.id) === select.value);
      if (reply) {
        byId("message-text").value = reply.body;
        byId("message-text").focus();
      }
    });
  } catch {
    byId("canned").disabled = true;
  }
}

async function send(event) {
  event.preventDefault();
  const text = byId("message-text").value.trim();
  if (!text) {
    toast("Write something first", "error");
    byId("message-text").focus();
    return;
  }
  const note = composerKind() === "note";
  const button = byId("send");
  button.disabled = true;
  try {
    await api(`${base}/${note ? "notes" : "messages"}`, { method: "POST", body: { text } });
    toast(note ? "Note added" : "Reply sent to the driver", "success");
    byId("message-text").value = "";
    byId("canned").value = "";
    await loadTicket();
  } catch (error) {
    toast(`Not sent: ${error.message}`, "error");
  } finally {
    button.disabled = false;
  }
}

async function change(path, body, done) {
  try {
    await api(`${base}${path}`, { method: path ? "POST" : "PATCH", body });
    toast(done, "success");
  } catch (error) {
    toast(error.message, "error");
  }
  await loadTicket();
}

function openReply() {
  document.querySelector('input[name="kind"][value="reply"]').checked = true;
  updateComposer();
  byId("message-text").focus();
}

byId("composer").addEventListener("submit", send);
byId("composer").addEventListener("change", (event) => {
  if (event.target.name === "kind") updateComposer();
});
byId("refund-form").addEventListener("submit", submitRefund);
byId("claim").addEventListener("click", () => change("/claim", undefined, "The ticket is yours"));
byId("unassign").addEventListener("click", () => change("/assign", { assigneeId: null }, "The ticket is unassigned"));
byId("status-apply").addEventListener("click", () => {
  const status = byId("status-select").value;
  const comment = byId("status-comment").value.trim();
  byId("status-comment").value = "";
  change("/status", comment ? { status, comment } : { status }, `Status: ${label(status)}`);
});
byId("priority-select").addEventListener("change", (event) =>
  change("", { priority: event.target.value }, `Priority: ${label(event.target.value)}`),
);
byId("refresh-diagnostics").addEventListener("click", loadDiagnostics);

shortcut("r", "Reply to the driver", openReply);
shortcut("n", "Write an internal note", () => {
  document.querySelector('input[name="kind"][value="note"]').checked = true;
  updateComposer();
  byId("message-text").focus();
});
shortcut("c", "Claim the ticket", () => byId("claim").click());
shortcut("u", "Back to the queue", () => location.assign(`${document.body.dataset.console}/queue`));

if (location.hash === "#reply") openReply();
loadTicket().then(() => {
  loadDiagnostics().then(loadActions);
});
loadCanned();
loadRefunds();
// The charger's state changes without the ticket changing: look again every 15 seconds while the tab is seen.
setInterval(() => {
  if (document.visibilityState === "visible") loadDiagnostics();
}, 15_000);
liveFeed(
  "/v1/support/queue/events",
  (type, data) => {
    if (type !== "ticket" || !data || Number(data.id) !== ticketId) return;
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      loadTicket();
      loadRefunds();
    }, 200);
  },
  { onOpen: () => loadTicket() },
);

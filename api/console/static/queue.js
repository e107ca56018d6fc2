// The queue: the API's ticket queue with its filters and order, live from the queue feed, keyboard driven.
import {
  api,
  badge,
  byId,
  consolePath,
  el,
  label,
  liveFeed,
  replaceChildren,
  runningDue,
  shortcut,
  slaView,
  startPage,
  toast,
} from "./shell.js";

const auth = await startPage();
const FILTERS = ["status", "priority", "assignee", "category", "sla", "q"];
const rows = byId("queue-rows");
const selected = new Set();
let items = [];
let nextCursor = null;
let current = 0;
let loading = null;
let reloadTimer = null;

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
  for (const name of FILTERS) {
    if (params.has(name)) byId(`f-${name}`).value = params.get(name);
  }
}

async function load({ more = false, keepSize = false } = {}) {
  const params = filterValues();
  const size = keepSize ? Math.min(100, Math.max(25, items.length)) : 25;
  params.set("limit", String(size));
  if (more && nextCursor) params.set("cursor", nextCursor);
  const request = api(`/v1/support/queue?${params}`);
  loading = request;
  try {
    const page = await request;
    if (loading !== request) return; // a newer request replaced this one
    const openId = items[current] ? items[current].id : null;
    items = more ? [...items, ...page.items] : page.items;
    nextCursor = page.nextCursor;
    const kept = items.findIndex((item) => item.id === openId);
    current = kept >= 0 ? kept : Math.min(current, Math.max(0, items.length - 1));
    for (const id of [...selected]) if (!items.some((item) => item.id === id)) selected.delete(id);
    render();
  } catch (error) {
    if (loading === request) toast(`The queue could not be loaded: ${error.message}`, "error");
  }
}

function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => load({ keepSize: true }), 250);
}

function slaCell(item) {
  const view = slaView(item.slaState, runningDue(item));
  return el("span", { class: `sla sla-${view.state}` }, view.text);
}

function row(item, index) {
  const link = el("a", { href: `${consolePath}/tickets/${item.id}`, class: "ticket-link" }, item.number);
  const box = el("input", {
    type: "checkbox",
    "aria-label": `Select ${item.number}`,
    checked: selected.has(item.id),
    onchange: (event) => {
      if (event.target.checked) selected.add(item.id);
      else selected.delete(item.id);
      updateBulk();
    },
  });
  const tr = el(
    "tr",
    {
      dataset: { id: String(item.id) },
      class: index === current ? "current" : null,
      "aria-selected": index === current ? "true" : "false",
    },
    el("td", {}, box),
    el("th", { scope: "row" }, link),
    el("td", {}, badge("priority", item.priority)),
    el("td", {}, badge("status", item.status)),
    el("td", { class: "summary-cell" }, item.summary),
    el("td", {}, item.category ? label(item.category) : "—"),
    el("td", { class: "mono" }, item.chargerId || "—"),
    el("td", {}, item.driver ? item.driver.name || item.driver.email : "—"),
    el("td", {}, item.assignee ? item.assignee.name : el("span", { class: "muted" }, "Unassigned")),
    el("td", {}, slaCell(item)),
  );
  tr.addEventListener("click", (event) => {
    if (event.target.closest("a, input")) return;
    current = index;
    markCurrent();
  });
  return tr;
}

function render() {
  replaceChildren(rows, items.map(row));
  byId("queue-empty").hidden = items.length > 0;
  byId("load-more").hidden = !nextCursor;
  byId("queue-count").textContent = `${items.length}${nextCursor ? "+" : ""} ticket${items.length === 1 ? "" : "s"} shown`;
  updateBulk();
}

function markCurrent(focus = false) {
  rows.querySelectorAll("tr").forEach((tr, index) => {
    tr.classList.toggle("current", index === current);
    tr.setAttribute("aria-selected", index === current ? "true" : "false");
    if (index === current) {
      tr.scrollIntoView({ block: "nearest" });
      if (focus) tr.querySelector("a").focus();
    }
  });
}

function updateBulk() {
  const count = selected.size;
  byId("bulk-count").textContent = count ? `${count} selected` : "No ticket selected";
  for (const id of ["bulk-claim", "bulk-status", "bulk-apply"]) byId(id).disabled = count === 0;
  const all = byId("select-all");
  all.checked = count > 0 && items.every((item) => selected.has(item.id));
}

async function claim(item) {
  try {
    await api(`/v1/support/tickets/${item.id}/claim`, { method: "POST" });
    toast(`${item.number} is yours`, "success");
    reloadSoon();
  } catch (error) {
    toast(`${item.number} could not be claimed: ${error.message}`, "error");
  }
}

async function bulk(change, what) {
  const ids = [...selected];
  try {
    const result = await api("/v1/support/tickets/bulk", { method: "POST", body: { ids, ...change } });
    const failed = result.failed || [];
    toast(`${what}: ${result.updated.length} updated${failed.length ? `, ${failed.length} failed` : ""}`, failed.length ? "error" : "success");
    for (const failure of failed) {
      const detail = failure.problem && (failure.problem.detail || failure.problem.title);
      toast(`Ticket ${failure.id}: ${detail || "not changed"}`, "error");
    }
    selected.clear();
    await load({ keepSize: true });
  } catch (error) {
    toast(`${what} failed: ${error.message}`, "error");
  }
}

// ----- a ticket opened by hand ------------------------------------------------------------------------------

function newTicket() {
  const dialog = byId("new-ticket-dialog");
  byId("new-ticket-form").reset();
  byId("nt-error").hidden = true;
  dialog.showModal();
  byId("nt-summary").focus();
}

async function openTicket(event) {
  event.preventDefault();
  const form = event.target;
  const error = byId("nt-error");
  const fail = (text, field) => {
    error.textContent = text;
    error.hidden = false;
    if (field) field.focus();
  };
  const summary = form.summary.value.trim();
  const category = form.category.value.trim() || "other";
  if (!summary) return fail("Write a summary.", form.summary);
  if (!/^[a-z0-9_]+$/.test(category)) return fail("The category is lower-case words joined by _.", form.category);
  const body = { summary, priority: form.priority.value, category };
  if (form.chargerId.value.trim()) body.chargerId = form.chargerId.value.trim();
  if (form.text.value.trim()) body.text = form.text.value.trim();
  try {
    const ticket = await api("/v1/support/tickets", { method: "POST", body });
    byId("new-ticket-dialog").close();
    toast(`${ticket.number} opened`, "success");
    location.assign(`${consolePath}/tickets/${ticket.id}`);
  } catch (problem) {
    fail(problem.message);
  }
}

// ----- wiring -----------------------------------------------------------------------------------------------

restoreFilters();
byId("filters").addEventListener("submit", (event) => event.preventDefault());
byId("filters").addEventListener("input", (event) => {
  const params = filterValues();
  history.replaceState(null, "", params.size ? `?${params}` : location.pathname);
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => load(), event.target.type === "search" || event.target.type === "text" ? 300 : 0);
});
byId("load-more").addEventListener("click", () => load({ more: true }));
byId("new-ticket").addEventListener("click", newTicket);
byId("new-ticket-form").addEventListener("submit", openTicket);
byId("nt-cancel").addEventListener("click", () => byId("new-ticket-dialog").close());
byId("select-all").addEventListener("change", (event) => {
  for (const item of items) {
    if (event.target.checked) selected.add(item.id);
    else selected.delete(item.id);
  }
  render();
});
byId("bulk-claim").addEventListener("click", () => bulk({ assigneeId: auth.profile.id }, "Claim"));
byId("bulk-apply").addEventListener("click", () => {
  const status = byId("bulk-status").value;
  if (!status) {
    toast("Choose a status first", "error");
    byId("bulk-status").focus();
    return;
  }
  bulk({ status }, `Status ${label(status)}`);
});

shortcut("j", "Next ticket", () => {
  if (!items.length) return;
  current = Math.min(items.length - 1, current + 1);
  markCurrent(true);
});
shortcut("k", "Previous ticket", () => {
  if (!items.length) return;
  current = Math.max(0, current - 1);
  markCurrent(true);
});
shortcut("Enter", "Open the ticket", () => {
  if (items[current]) location.assign(`${consolePath}/tickets/${items[current].id}`);
});
shortcut("r", "Open the ticket to reply", () => {
  if (items[current]) location.assign(`${consolePath}/tickets/${items[current].id}#reply`);
});
shortcut("x", "Select or unselect the ticket", () => {
  const item = items[current];
  if (!item) return;
  if (selected.has(item.id)) selected.delete(item.id);
  else selected.add(item.id);
  const box = rows.querySelectorAll("tr")[current].querySelector("input");
  box.checked = selected.has(item.id);
  updateBulk();
});
shortcut("c", "Claim the ticket", () => {
  if (items[current]) claim(items[current]);
});
shortcut("/", "Search summaries", () => byId("f-q").focus());

// The time left runs down between events.
setInterval(() => {
  rows.querySelectorAll("tr").forEach((tr, index) => {
    if (items[index]) replaceChildren(tr.lastElementChild, slaCell(items[index]));
  });
}, 30_000);

load();
liveFeed(
  "/v1/support/queue/events",
  (type) => {
    if (type === "ticket") reloadSoon();
  },
  { onOpen: reloadSoon },
);

// Maintenance: work orders (open, overdue, mine, closed), one work order's checklist, comments and closing, and the
// preventive schedules of the operator's sites with their next due dates.
import { api, badge, byId, confirmDialog, currentAuth, el, formatTime, label, OPERATIONS_ROLES, replaceChildren, startPage, toast } from "./shell.js";

await startPage({ roles: OPERATIONS_ROLES });
const me = currentAuth().profile;
let view = new URLSearchParams(location.search).get("view") || "open";
let selected = new URLSearchParams(location.search).get("id");

const lines = (text) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
const REFRESH_MS = 30_000;

/** The header's status pill: when the lists were last read (they are read again every 30 s). */
function refreshed() {
  const status = byId("live-status");
  if (!status) return;
  status.dataset.state = "live";
  status.textContent = `Updated ${new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}`;
}

const who = (id) => (!id ? "—" : id === me.id ? "you" : `${id.slice(0, 8)}…`);

function remember() {
  const params = new URLSearchParams();
  if (view !== "open") params.set("view", view);
  if (selected) params.set("id", selected);
  history.replaceState(null, "", params.size ? `?${params}` : location.pathname);
}

async function loadList() {
  for (const tab of document.querySelectorAll("[data-view]")) tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  let orders;
  try {
    orders = await api(`/v1/admin/work-orders?view=${encodeURIComponent(view)}`);
  } catch (error) {
    toast(`The work orders could not be loaded: ${error.message}`, "error");
    return;
  }
  byId("wo-count").textContent = `${orders.length} ${view === "mine" ? "of your" : view} work order${orders.length === 1 ? "" : "s"}`;
  refreshed();
  byId("wo-empty").hidden = orders.length > 0;
  replaceChildren(
    byId("wo-rows"),
    orders.map((order) =>
      el(
        "tr",
        { class: order.id === selected ? "selected" : null, "aria-selected": String(order.id === selected) },
        el("td", {}, el("a", { href: `?id=${order.id}`, class: "ticket-link", onclick: (event) => open(event, order.id) }, order.title)),
        el("td", {}, badge("status", order.status), order.outOfService ? [" ", el("span", { class: "badge offline" }, "Out of service")] : null),
        el("td", {}, order.locationName || "—", el("br"), el("span", { class: "muted small" }, order.chargerId || "Whole site")),
        el("td", { class: order.overdue ? "sla sla-breached" : "" }, order.dueOn ? `${order.dueOn}${order.overdue ? " (overdue)" : ""}` : "—"),
        el("td", {}, order.checklistTotal ? `${order.checklistDone}/${order.checklistTotal}` : "—"),
      ),
    ),
  );
}

function open(event, id) {
  event.preventDefault();
  selected = id;
  remember();
  loadList();
  loadDetail();
}

function fact(name, value) {
  return el("div", {}, el("dt", {}, name), el("dd", {}, value ?? "—"));
}

async function act(path, body, done) {
  try {
    const order = await api(path, { method: "POST", body });
    toast(done, "success");
    await Promise.all([loadList(), renderDetail(order)]);
  } catch (error) {
    toast(error.message, "error");
  }
}

async function loadDetail() {
  if (!selected) return;
  try {
    await renderDetail(await api(`/v1/admin/work-orders/${selected}`));
  } catch (error) {
    toast(`This work order could not be loaded: ${error.message}`, "error");
  }
}

function renderDetail(order) {
  const base = `/v1/admin/work-orders/${order.id}`;
  const active = order.status === "open" || order.status === "in_progress";
  // what is being typed survives a redraw of the same work order (a tick, a refresh)
  const same = byId("detail").dataset.order === order.id;
  const draft = (id) => (same && byId(id) ? byId(id).value : "");
  const notes = el("textarea", { id: "closing-notes", rows: 3, "aria-describedby": "closing-help" });
  const comment = el("textarea", { id: "comment-body", rows: 2 });
  notes.value = draft("closing-notes");
  comment.value = draft("comment-body");
  byId("detail").dataset.order = order.id;
  replaceChildren(
    byId("detail"),
    el("h2", { id: "detail-title" }, order.title),
    el(
      "dl",
      { class: "facts small-facts" },
      fact("Status", badge("status", order.status)),
      fact("Site", order.locationName),
      fact("Charger", order.chargerId || "Whole site"),
      fact("Due", order.dueOn ? `${order.dueOn}${order.overdue ? " (overdue)" : ""}` : null),
      fact("Assigned to", who(order.assigneeId)),
      fact("Source", label(order.source)),
      fact("Service", order.outOfService ? `Out of service: ${order.serviceReason || order.title}` : order.takesOutOfService ? "Taken out of service while worked on" : "Stays in service"),
      order.ticketIds.length ? fact("Tickets", order.ticketIds.map((id) => `#${id}`).join(", ")) : null,
      order.availability ? fact("Charger answered", order.availability) : null,
    ),
    order.description ? el("p", {}, order.description) : null,
    el(
      "div",
      { class: "actions" },
      order.status === "open" ? el("button", { type: "button", class: "button primary", onclick: () => act(`${base}/start`, {}, "Work started") }, "Start work") : null,
      active
        ? el(
            "button",
            {
              type: "button",
              class: "button",
              onclick: async () => {
                if (await confirmDialog("Cancel work order", "The work order is cancelled and its charger is back in service.", { confirmLabel: "Cancel work order" }))
                  act(`${base}/cancel`, {}, "Work order cancelled");
              },
            },
            "Cancel",
          )
        : null,
    ),
    el("h3", {}, "Checklist"),
    order.checklist.length
      ? el(
          "ul",
          { class: "events" },
          order.checklist.map((item) =>
            el(
              "li",
              {},
              el(
                "label",
                {},
                el("input", {
                  type: "checkbox",
                  checked: item.done,
                  disabled: !active,
                  onchange: (event) => act(`${base}/checklist/${item.position}`, { done: event.target.checked }, item.done ? "Item unticked" : "Item ticked"),
                }),
                " ",
                item.text,
              ),
              item.done ? el("span", { class: "muted small" }, ` — ${who(item.doneBy)}, ${formatTime(item.doneAt)}`) : null,
            ),
          ),
        )
      : el("p", { class: "muted" }, "No checklist."),
    active
      ? el(
          "form",
          {
            class: "composer",
            onsubmit: (event) => {
              event.preventDefault();
              act(`${base}/complete`, { closingNotes: notes.value }, "Work order completed");
            },
          },
          el("div", { class: "field" }, el("label", { for: "closing-notes" }, "Closing notes"), notes),
          el("p", { id: "closing-help", class: "muted small" }, "What was done; every checklist item must be ticked."),
          el("button", { type: "submit", class: "button primary" }, "Complete"),
        )
      : order.closingNotes
        ? [el("h3", {}, "Closing notes"), el("p", {}, order.closingNotes)]
        : null,
    el("h3", {}, "Comments"),
    el(
      "ul",
      { class: "events" },
      order.comments.map((c) => el("li", {}, el("span", { class: "muted small" }, `${who(c.authorId)}, ${formatTime(c.at)}: `), c.body)),
    ),
    el(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            await api(`${base}/comments`, { method: "POST", body: { body: comment.value } });
            comment.value = "";
            await loadDetail();
          } catch (error) {
            toast(error.message, "error");
          }
        },
      },
      el("div", { class: "field" }, el("label", { for: "comment-body" }, "Add a comment"), comment),
      el("button", { type: "submit", class: "button" }, "Comment"),
    ),
    el("h3", {}, "History"),
    el(
      "ul",
      { class: "events small" },
      order.audit.map((entry) => el("li", {}, `${formatTime(entry.at)} · ${entry.actorId ? who(entry.actorId) : "scheduler"} · ${label(entry.action.replace(".", " "))}`)),
    ),
  );
}

async function loadSchedules() {
  let schedules;
  try {
    schedules = await api("/v1/admin/maintenance/schedules");
  } catch (error) {
    toast(`The schedules could not be loaded: ${error.message}`, "error");
    return;
  }
  if (!schedules.length) {
    replaceChildren(byId("schedules"), el("p", { class: "muted" }, "No preventive schedules yet."));
    return;
  }
  const sites = new Map();
  for (const schedule of schedules) {
    const key = schedule.locationName || schedule.locationId;
    if (!sites.has(key)) sites.set(key, []);
    sites.get(key).push(schedule);
  }
  replaceChildren(
    byId("schedules"),
    [...sites].map(([site, items]) => [
      el("h3", {}, site),
      el(
        "table",
        { class: "compact" },
        el("caption", { class: "visually-hidden" }, `Schedules at ${site}`),
        el("thead", {}, el("tr", {}, ["Task", "Repeats", "Next due", "Charger"].map((h) => el("th", { scope: "col" }, h)))),
        el(
          "tbody",
          {},
          items.map((s) => el("tr", {}, el("td", {}, s.name, s.active ? null : " (paused)"), el("td", {}, s.recurrence.text), el("td", {}, s.nextDueOn), el("td", {}, s.chargerId || "Whole site"))),
        ),
      ),
    ]),
  );
}

function dialogForm(buttonId, dialogId, formId, errorId, submit) {
  const dialog = byId(dialogId);
  const form = byId(formId);
  byId(buttonId).addEventListener("click", () => {
    form.reset();
    byId(errorId).hidden = true;
    dialog.showModal();
  });
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await submit(new FormData(form));
      dialog.close();
    } catch (error) {
      const problem = error.problem;
      byId(errorId).textContent = problem && problem.errors ? problem.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : error.message;
      byId(errorId).hidden = false;
    }
  });
}

dialogForm("new-work-order", "wo-dialog", "wo-form", "wo-error", async (data) => {
  const body = { title: data.get("title"), checklist: lines(data.get("checklist")), takesOutOfService: data.get("takesOutOfService") === "on" };
  if (data.get("chargerId")) body.chargerId = data.get("chargerId").trim();
  if (data.get("dueOn")) body.dueOn = data.get("dueOn");
  if (data.get("serviceReason").trim()) body.serviceReason = data.get("serviceReason").trim();
  const order = await api("/v1/admin/work-orders", { method: "POST", body });
  toast("Work order opened", "success");
  selected = order.id;
  remember();
  await Promise.all([loadList(), renderDetail(order)]);
});

dialogForm("new-schedule", "schedule-dialog", "schedule-form", "sc-error", async (data) => {
  const body = { name: data.get("name"), rule: data.get("rule"), startsOn: data.get("startsOn"), checklist: lines(data.get("checklist")), takesOutOfService: data.get("takesOutOfService") === "on" };
  if (data.get("chargerId").trim()) body.chargerId = data.get("chargerId").trim();
  if (data.get("locationId").trim()) body.locationId = data.get("locationId").trim();
  await api("/v1/admin/maintenance/schedules", { method: "POST", body });
  toast("Schedule added", "success");
  await loadSchedules();
});

for (const tab of document.querySelectorAll("[data-view]")) {
  tab.addEventListener("click", () => {
    view = tab.dataset.view;
    remember();
    loadList();
  });
}

await Promise.all([loadList(), loadSchedules(), loadDetail()]);
setInterval(() => {
  if (!document.hidden) loadList();
}, REFRESH_MS);

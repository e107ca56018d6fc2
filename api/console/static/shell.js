// The console shell shared by every staff console: the sign-in kept in this tab, API calls with the bearer token
// (refreshed before it expires), live feeds read with fetch streaming (EventSource cannot send the bearer header),
// toasts, a confirm dialog and keyboard shortcuts. No cookies: nothing here can be forged from another site.

const AUTH_KEY = "voltway.console.auth";
const STAFF_ROLES = new Set(["agent", "operator", "admin"]);
// the pages each role may open, and where a role lands after signing in
export const SUPPORT_ROLES = ["agent", "admin"];
export const OPERATIONS_ROLES = ["operator", "admin"];
const REFRESH_MARGIN_MS = 60_000;

export const consolePath = document.body.dataset.console || "/console";

// ----- DOM helpers ------------------------------------------------------------------------------------------

/** An element with attributes (`on...` are listeners) and children (strings become text, never HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attrs);
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An SVG element (charts) with plain attributes. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttributes(node, attrs);
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function setAttributes(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.setAttribute("class", value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

export function replaceChildren(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

export const byId = (id) => document.getElementById(id);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ----- the sign-in ------------------------------------------------------------------------------------------

export function currentAuth() {
  try {
    return JSON.parse(sessionStorage.getItem(AUTH_KEY) || "null");
  } catch {
    return null;
  }
}

export function clearAuth() {
  sessionStorage.removeItem(AUTH_KEY);
}

export function isStaff(role) {
  return STAFF_ROLES.has(role);
}

/** The page a role starts on: operators on the network, agents and admins on the support queue. */
export function homeOf(role) {
  return role === "operator" ? `${consolePath}/network` : `${consolePath}/queue`;
}

/** Keep a token pair from the login or a refresh, with the profile of who signed in. */
export function storeTokens(pair, profile) {
  const auth = {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: Date.now() + pair.expiresIn * 1000,
    profile,
  };
  sessionStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  scheduleRefresh();
  return auth;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `The server answered ${status}`);
    this.status = status;
    this.problem = problem || null;
  }
}

export async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

let refreshing = null;
let refreshTimer = null;

/** A new token pair from the refresh token; concurrent callers share one request. */
export function refreshTokens() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const auth = currentAuth();
    if (!auth) throw new ApiError(401, { detail: "Not signed in." });
    const response = await fetch("/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ refreshToken: auth.refreshToken }),
    });
    if (!response.ok) {
      clearAuth();
      throw new ApiError(response.status, await problemOf(response));
    }
    return storeTokens(await response.json(), auth.profile);
  })();
  refreshing.finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const auth = currentAuth();
  if (!auth) return;
  const wait = Math.max(5_000, auth.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  refreshTimer = setTimeout(() => {
    refreshTokens().catch(() => goToSignIn());
  }, wait);
}

async function freshAuth() {
  const auth = currentAuth();
  if (!auth) return null;
  if (auth.expiresAt - Date.now() < REFRESH_MARGIN_MS / 2) return refreshTokens();
  return auth;
}

export function goToSignIn() {
  clearAuth();
  const next = location.pathname + location.search;
  location.assign(`${consolePath}?next=${encodeURIComponent(next)}`);
}

/** A call to the JSON API as the signed-in staff member; throws ApiError with the problem details. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  let auth = await freshAuth().catch(() => null);
  if (!auth) {
    goToSignIn();
    throw new ApiError(401, { detail: "Not signed in." });
  }
  const send = (token) =>
    fetch(path, {
      method,
      cache: "no-store",
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
        authorization: `Bearer ${token}`,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let response = await send(auth.accessToken);
  if (response.status === 401) {
    auth = await refreshTokens().catch(() => null);
    if (!auth) {
      goToSignIn();
      throw new ApiError(401, { detail: "The sign-in has ended." });
    }
    response = await send(auth.accessToken);
  }
  const type = response.headers.get("content-type") || "";
  const data = response.status !== 204 && type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** End the sign-in at the API (the refresh token stops working) and forget it in this tab. */
export async function signOut() {
  const auth = currentAuth();
  clearAuth();
  if (auth) {
    await fetch("/v1/auth/logout", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: auth.refreshToken }),
    }).catch(() => null);
  }
  location.assign(consolePath);
}

// ----- live feeds -------------------------------------------------------------------------------------------

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "event") type = text;
        else if (field === "data") data.push(text);
      }
      if (!data.length) continue;
      let parsed = data.join("\n");
      try {
        parsed = JSON.parse(parsed);
      } catch {
        // not JSON: handed over as text
      }
      onEvent(type, parsed);
    }
  }
}

function setLiveState(state, text) {
  const status = byId("live-status");
  if (!status) return;
  status.dataset.state = state;
  status.textContent = text;
}

/**
 * Follow a server-sent event feed with the bearer token; reconnects with exponential backoff (1 s to 30 s, with
 * jitter) and calls `onOpen` on every (re)connection so the page can fetch what it missed in between.
 */
export function liveFeed(path, onEvent, { onOpen } = {}) {
  let stopped = false;
  let controller = null;
  let attempt = 0;
  (async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const auth = await freshAuth();
        if (!auth) {
          goToSignIn();
          return;
        }
        const response = await fetch(path, {
          headers: { accept: "text/event-stream", authorization: `Bearer ${auth.accessToken}` },
          cache: "no-store",
          signal: controller.signal,
        });
        if (response.status === 401) {
          await refreshTokens();
          throw new Error("token refreshed");
        }
        if (!response.ok || !response.body) throw new Error(`feed answered ${response.status}`);
        attempt = 0;
        setLiveState("live", "Live");
        if (onOpen) onOpen();
        await readEvents(response.body, onEvent);
      } catch {
        if (stopped) return;
      }
      attempt += 1;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5)) * (0.6 + Math.random() * 0.4);
      setLiveState("reconnecting", "Reconnecting…");
      await sleep(delay);
    }
  })();
  addEventListener("pagehide", () => {
    stopped = true;
    if (controller) controller.abort();
  });
  return {
    stop() {
      stopped = true;
      if (controller) controller.abort();
    },
  };
}

// ----- toasts and dialogs -----------------------------------------------------------------------------------

/** A short message in a live region: `error` is announced at once, others politely. */
export function toast(text, kind = "info") {
  const region = byId(kind === "error" ? "toasts-alert" : "toasts-polite");
  const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" }, "×");
  const item = el("div", { class: `toast toast-${kind}` }, el("span", {}, text), close);
  close.addEventListener("click", () => item.remove());
  region.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 12_000 : 6_000);
  return item;
}

/** Ask before doing something that reaches a charger or money; resolves true when confirmed. */
export function confirmDialog(title, text, { extra = null, confirmLabel = "Confirm" } = {}) {
  const dialog = byId("confirm-dialog");
  byId("confirm-title").textContent = title;
  byId("confirm-text").textContent = text;
  replaceChildren(byId("confirm-extra"), extra);
  const ok = dialog.querySelector('[data-answer="ok"]');
  const cancel = dialog.querySelector('[data-answer="cancel"]');
  ok.textContent = confirmLabel;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const finish = (answer) => {
      ok.removeEventListener("click", onOk);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      if (opener && opener.focus) opener.focus();
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onCancel = (event) => {
      if (event) event.preventDefault();
      finish(false);
    };
    ok.addEventListener("click", onOk);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    ok.focus();
  });
}

// ----- keyboard shortcuts -----------------------------------------------------------------------------------

const shortcuts = [];

/** A single-key shortcut of this page, listed in the `?` dialog; ignored while typing in a field. */
export function shortcut(key, description, handler) {
  shortcuts.push({ key, description, handler });
}

function typing(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

function showShortcuts() {
  const dialog = byId("shortcuts-dialog");
  const list = byId("shortcuts-list");
  replaceChildren(
    list,
    shortcuts.map((item) => el("div", {}, el("dt", {}, el("kbd", {}, item.key)), el("dd", {}, item.description))),
  );
  if (!dialog.open) dialog.showModal();
  dialog.querySelector('[data-answer="close"]').focus();
}

function installKeyboard() {
  shortcut("?", "Show these shortcuts", showShortcuts);
  const dialog = byId("shortcuts-dialog");
  dialog.querySelector('[data-answer="close"]').addEventListener("click", () => dialog.close());
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    // Enter on a link or a button does what that control does.
    if (event.key === "Enter" && event.target instanceof Element && event.target.closest("a, button, summary")) return;
    const found = shortcuts.find((item) => item.key === event.key);
    if (!found) return;
    event.preventDefault();
    found.handler(event);
  });
}

// ----- formatting -------------------------------------------------------------------------------------------

const LABELS = {
  new: "New",
  open: "Open",
  pending: "Pending",
  on_hold: "On hold",
  solved: "Solved",
  closed: "Closed",
  low: "Low",
  normal: "Normal",
  high: "High",
  urgent: "Urgent",
};

export const label = (value) =>
  LABELS[value] ||
  String(value ?? "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replaceAll("_", " ")
    .toLowerCase();

export function badge(kind, value) {
  return el("span", { class: `badge ${kind}-${value}` }, label(value));
}

export function formatTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function duration(ms) {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The SLA as a person reads it: time left on the clock that runs now, or how long it is overdue. */
export function slaView(state, dueIso) {
  if (state === "met") return { text: "Met", state };
  if (state === "none" || !dueIso) return { text: "—", state: "none" };
  const left = new Date(dueIso).getTime() - Date.now();
  if (left < 0) return { text: `${duration(-left)} overdue`, state: "breached" };
  return { text: `${duration(left)} left`, state: state === "soon" ? "soon" : "ok" };
}

/** The due time of the clock a queue summary runs (the summary does not say whether it was answered yet). */
export function runningDue(summary) {
  const dues = [summary.firstResponseDueAt, summary.resolutionDueAt].filter(Boolean).sort();
  const now = new Date().toISOString();
  if (summary.slaState === "breached") return dues.find((due) => due <= now) || dues[0];
  return dues.find((due) => due > now) || dues[dues.length - 1];
}

export function money(amount, currency) {
  if (amount === null || amount === undefined) return "—";
  const number = Number(amount);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "EUR" }).format(number);
  } catch {
    return `${amount} ${currency || ""}`.trim();
  }
}

// ----- the page frame ---------------------------------------------------------------------------------------

/**
 * Start a signed-in page: staff of `roles` only (another staff role goes to its own start page), the header filled in, sign-out and shortcuts wired. Without a staff sign-in
 * it goes to the sign-in page and never resolves, so the page's module stops there (`await startPage()`).
 */
export async function startPage({ roles = SUPPORT_ROLES } = {}) {
  const auth = currentAuth();
  if (!auth || !auth.profile || !isStaff(auth.profile.role)) {
    goToSignIn();
    return new Promise(() => {});
  }
  if (!roles.includes(auth.profile.role)) {
    // a page of the other console: go to this role's own start page instead
    location.replace(homeOf(auth.profile.role));
    return new Promise(() => {});
  }
  for (const item of document.querySelectorAll("[data-roles]")) {
    item.hidden = !item.dataset.roles.split(" ").includes(auth.profile.role);
  }
  const who = byId("who");
  if (who) who.textContent = `${auth.profile.name || auth.profile.email} (${auth.profile.role})`;
  const out = byId("sign-out");
  if (out) out.addEventListener("click", () => signOut());
  const help = byId("shortcuts-button");
  if (help) help.addEventListener("click", showShortcuts);
  installKeyboard();
  scheduleRefresh();
  return auth;
}

// The assistant's knowledge base, by symptom and charger make or model.
import { api, byId, el, label, replaceChildren, startPage, toast } from "./shell.js";

await startPage();
let timer = null;
let latest = 0;

const severityClass = (severity) => `badge severity-${severity}`;

function table(caption, headings, rows) {
  return el(
    "table",
    { class: "compact" },
    el("caption", { class: "visually-hidden" }, caption),
    el("thead", {}, el("tr", {}, headings.map((heading) => el("th", { scope: "col" }, heading)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell) => el("td", {}, cell ?? "—"))))),
  );
}

async function load() {
  const params = new URLSearchParams();
  for (const name of ["symptom", "model", "language"]) {
    const value = byId(`k-${name}`).value.trim();
    if (value) params.set(name, value);
  }
  history.replaceState(null, "", params.size ? `?${params}` : location.pathname);
  const request = ++latest;
  let book;
  try {
    book = await api(`/v1/support/knowledge?${params}`);
    if (request !== latest) return; // a newer filter is on its way
  } catch (error) {
    toast(`The knowledge base could not be loaded: ${error.message}`, "error");
    return;
  }
  replaceChildren(
    byId("k-symptoms"),
    book.symptoms.length
      ? el(
          "dl",
          { class: "playbooks" },
          book.symptoms.map((symptom) =>
            el(
              "div",
              { class: "playbook" },
              el("dt", {}, symptom.title, " ", el("code", {}, symptom.symptom)),
              el("dd", {}, symptom.playbook || "The assistant answers with information and offers a person."),
              symptom.errorCodes.length ? el("dd", { class: "muted small" }, `Error codes: ${symptom.errorCodes.join(", ")}`) : null,
            ),
          ),
        )
      : el("p", { class: "muted" }, "No symptom matches."),
  );
  replaceChildren(
    byId("k-advice"),
    book.vendorAdvice.length
      ? table(
          "Advice per charger make",
          ["Make", "Model", "Topic", "Advice"],
          book.vendorAdvice.map((item) => [item.vendor === "*" ? "Any make" : item.vendor, item.model === "*" ? "All models" : item.model, label(item.topic), item.advice]),
        )
      : el("p", { class: "muted" }, "No advice for this make or model."),
  );
  replaceChildren(
    byId("k-codes"),
    book.errorCodes.length
      ? table(
          "Error codes",
          ["Code", "OCPP 2.0.1", "Severity", "Remote fix", "Meaning"],
          book.errorCodes.map((code) => [
            el("code", {}, code.code),
            code.ocpp201.join(", ") || "—",
            el("span", { class: severityClass(code.severity) }, label(code.severity)),
            code.remoteFix === "none" ? "None" : label(code.remoteFix),
            code.meaning,
          ]),
        )
      : el("p", { class: "muted" }, "No error code belongs to this symptom."),
  );
  replaceChildren(
    byId("k-reasons"),
    book.stopReasons.length
      ? table("Why sessions stop", ["Reason", "Meaning"], book.stopReasons.map((reason) => [el("code", {}, reason.reason), reason.meaning]))
      : el("p", { class: "muted" }, "Shown for the symptom “charging stopped” and for all symptoms."),
  );
}

async function start() {
  try {
    const all = await api("/v1/support/knowledge");
    for (const symptom of all.symptoms) byId("k-symptom").append(el("option", { value: symptom.symptom }, symptom.title));
    replaceChildren(
      byId("k-models"),
      all.models.map((item) => el("option", { value: item.model === "*" ? item.vendor : `${item.vendor} ${item.model}` })),
    );
  } catch (error) {
    toast(`The knowledge base could not be loaded: ${error.message}`, "error");
    return;
  }
  const params = new URLSearchParams(location.search);
  for (const name of ["symptom", "model", "language"]) if (params.has(name)) byId(`k-${name}`).value = params.get(name);
  await load();
}

byId("knowledge-filters").addEventListener("submit", (event) => event.preventDefault());
byId("knowledge-filters").addEventListener("input", (event) => {
  clearTimeout(timer);
  timer = setTimeout(load, event.target.type === "search" ? 300 : 0);
});
start();

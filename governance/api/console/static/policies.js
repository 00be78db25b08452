"use strict";
// Policies: what serves (revision, signed bundles, last reload), rules and reason codes per
// jurisdiction, and a replay of a draft bundle over recorded traffic (POST /admin/replay, which
// answers within the caller's scope).
const CHANGES = ["allow_to_deny", "deny_to_allow", "reasons_changed", "obligations_changed", "errors"];
const REPLAY_ROLES = ["admin", "compliance_officer"];

function field(list, name, value) { list.append(el("dt", {}, name), el("dd", {}, value)); }

function reload(last) {
  if (!last) return "none since the gateway started (the policy it loaded at start serves)";
  const outcome = last.ok ? `applied, serving ${last.serving}` : `refused (${last.error || last.result}); ${last.serving} still serves`;
  return `${utc(last.time)} UTC: revision ${last.revision} ${outcome}`;
}

function serving(doc) {
  const list = $("serving");
  list.replaceChildren();
  field(list, "serving revision", doc.revision);
  field(list, "policy tree revision", doc.tree_revision === doc.revision ? doc.tree_revision : `${doc.tree_revision} (not serving yet)`);
  field(list, "engine", doc.engine);
  field(list, "signed bundles", doc.signed ? "required: only a bundle signed with the configured key is loaded" : "not required (no verification key configured)");
  field(list, "last reload", reload(doc.last_reload));
  field(list, "reason codes", doc.reason_codes.join(", "));
}

function jurisdictions(doc) {
  const blocks = Object.entries(doc.jurisdictions).map(([code, modules]) => {
    const head = el("tr", {}, ...["file", "package", "rules", "reason codes"].map((h) => el("th", {}, h)));
    const rows = modules.map((m) => el("tr", {}, el("td", {}, m.file), el("td", {}, m.package),
      el("td", {}, m.rules.join(", ")), el("td", {}, m.reason_codes.join(", ") || "none")));
    return el("section", { id: "jurisdiction-" + code }, el("h3", {}, code),
      el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  });
  $("jurisdictions").replaceChildren(...blocks);
}

async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function examples(report) {
  const head = el("tr", {}, ...["change", "decision", "time (UTC)", "subject", "method", "before", "after"].map((h) => el("th", {}, h)));
  const rows = CHANGES.flatMap((change) => (report.examples[change] || []).map((ex) => el("tr", {},
    el("td", {}, change.replace(/_/g, " ")),
    el("td", {}, el("a", { href: "/console/decisions/" + encodeURIComponent(ex.id) }, ex.id)),
    el("td", {}, utc(ex.time)), el("td", {}, ex.subject), el("td", {}, ex.method),
    el("td", {}, `${ex.before.outcome} ${ex.before.reasons.join(", ")}`),
    el("td", {}, ex.after.error ? "error: the draft failed on this input" : `${ex.after.outcome} ${ex.after.reasons.join(", ")}`))));
  return el("table", { id: "examples" }, el("thead", {}, head), el("tbody", {}, ...rows));
}

function showReport(report) {
  const list = el("dl", { className: "summary", id: "replay-summary" });
  field(list, "draft revision", report.draft_revision);
  field(list, "replayed", `${report.examined} recorded decisions in your scope${report.truncated ? " (limit reached: the oldest only)" : ""}`);
  field(list, "unchanged", report.unchanged);
  for (const change of CHANGES) field(list, change.replace(/_/g, " "), report[change]);
  const added = Object.entries(report.reason_codes_added).map(([c, n]) => `+${c} ${n}`);
  const removed = Object.entries(report.reason_codes_removed).map(([c, n]) => `-${c} ${n}`);
  field(list, "reason codes", [...added, ...removed].join(", ") || "no change");
  if (report.masked) field(list, "masked inputs", `${report.masked} were masked before storage: the draft saw them masked`);
  $("replay-result").replaceChildren(list, report.changed ? examples(report) : el("p", {}, "The draft decides every replayed call as the serving policy did."));
}

async function replay(ev) {
  ev.preventDefault();
  const form = $("replay");
  const file = form.elements.bundle.files[0];
  if (!file) { say("Choose a draft bundle (.tar.gz) first."); return; }
  const body = { bundle_base64: await base64Of(file) };
  for (const name of ["since", "until", "jurisdiction"]) if (form.elements[name].value.trim()) body[name] = form.elements[name].value.trim();
  $("replay-result").replaceChildren(el("p", { className: "pending" }, "replaying…"));
  say("");
  try {
    showReport(await api("/admin/replay", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }));
  } catch (e) {
    $("replay-result").replaceChildren();
    say("Replay refused: " + e.message);
  }
}

consolePage(async () => {
  const doc = await api("/audit/policy");
  serving(doc);
  jurisdictions(doc);
  const may = hasRole(...REPLAY_ROLES);
  $("replay").hidden = !may;
  $("replay-note").textContent = may
    ? "Re-decides recorded traffic in your scope under a draft bundle; nothing that serves changes."
    : "Replaying a draft needs the compliance_officer or admin role.";
});
document.addEventListener("DOMContentLoaded", () => { $("replay").addEventListener("submit", replay); });

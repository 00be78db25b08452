"use strict";
// The console's one script: sign-in, the decisions table with filters and paging.
// The token lives in sessionStorage and is sent only in the Authorization header.
const KEY = "governance.token";
const $ = (id) => document.getElementById(id);
let older = null;

function token() { return sessionStorage.getItem(KEY); }

async function api(path) {
  const resp = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
  if (resp.status === 401) throw new Error("Your token was not accepted (expired or invalid). Sign in again.");
  if (resp.status === 403) throw new Error("Not allowed: the console needs the auditor, compliance_officer, regulator or admin role.");
  if (!resp.ok) {
    const body = await resp.json().catch(() => ({}));
    throw new Error((body.error && (body.error.message || body.error)) || resp.statusText);
  }
  return resp.json();
}

function claims(jwt) {
  try { return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); }
  catch (e) { return {}; }
}

function filters() {
  const params = new URLSearchParams();
  for (const el of $("filters").elements) if (el.name && el.value.trim()) params.set(el.name, el.value.trim());
  return params;
}

function row(item) {
  const tr = document.createElement("tr");
  const s = item.subject || {}, r = item.result || {};
  const reasons = [...new Set((r.reasons || []).map((x) => x.code))].sort().join(", ");
  const cells = [item.leaf_index, String(item.time).slice(0, 19).replace("T", " "),
    `${s.sub}@${s.org}`, item.method, item.outcome, reasons, (r.jurisdictions || []).join(", ")];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i === 4) td.className = item.outcome;
    tr.appendChild(td);
  });
  tr.dataset.id = item.id;
  return tr;
}

async function load(cursor) {
  const params = filters();
  params.set("order", "desc"); params.set("limit", "50");
  if (cursor) params.set("cursor", cursor);
  const page = await api("/audit/decisions?" + params);
  const body = $("table").tBodies[0];
  if (!cursor) body.replaceChildren();
  page.items.forEach((item) => body.appendChild(row(item)));
  older = page.next_cursor;
  $("older").hidden = !older;
  $("message").textContent = body.rows.length ? "" : "No decisions match. Send traffic through /rpc or change the filters.";
}

async function show() {
  const c = claims(token());
  try {
    await load(null);
  } catch (e) {
    $("message").textContent = e.message;
    $("decisions").hidden = true;
    return;
  }
  $("signin").hidden = true;
  $("decisions").hidden = false;
  $("signout").hidden = false;
  $("who").textContent = `${c.sub}@${c.org} (${(c.roles || []).join(", ")}, ${c.jurisdiction})`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-button").addEventListener("click", () => {
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    show();
  });
  $("signout").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });
  $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(null).catch((e) => { $("message").textContent = e.message; }); });
  $("older").addEventListener("click", () => load(older).catch((e) => { $("message").textContent = e.message; }));
  if (token()) show();
});

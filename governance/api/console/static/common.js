"use strict";
// Shared by every console page: the token (kept in sessionStorage and sent only in the
// Authorization header), API calls with readable errors, and the sign-in shell.
const KEY = "governance.token";
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(KEY); }

class ApiFailure extends Error {
  constructor(status, message, retryAfter) { super(message); this.status = status; this.retryAfter = retryAfter; }
}

async function failure(resp) {
  if (resp.status === 401) return new ApiFailure(401, "Your token was not accepted (expired or invalid). Sign in again.");
  if (resp.status === 403) return new ApiFailure(403, "Not allowed: this needs the auditor, compliance_officer, regulator or admin role.");
  const body = await resp.json().catch(() => ({}));
  const text = (body.error && (body.error.message || body.error)) || resp.statusText;
  return new ApiFailure(resp.status, typeof text === "string" ? text : JSON.stringify(text),
    Number(resp.headers.get("Retry-After")) || 0);
}

async function api(path, init) {
  const opts = Object.assign({}, init || {});
  opts.headers = Object.assign({ Authorization: "Bearer " + token() }, opts.headers || {});
  const resp = await fetch(path, opts);
  if (!resp.ok) throw await failure(resp);
  return resp.json();
}

function claims(jwt) {
  try { return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); }
  catch (e) { return {}; }
}

function hasRole(...roles) { return (claims(token()).roles || []).some((r) => roles.includes(r)); }

// el("td", {className: "deny"}, "text", child...): text and nodes only, never HTML strings.
function el(tag, props, ...children) {
  const node = Object.assign(document.createElement(tag), props || {});
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function utc(time) { return String(time || "").slice(0, 19).replace("T", " "); }

function say(text) { $("message").textContent = text; }

// Runs the page's loader once a token is present; a failure shows the message and keeps the
// page's content hidden (a trader reads "Not allowed").
function consolePage(load) {
  async function show() {
    const c = claims(token());
    try {
      await load();
    } catch (e) {
      say(e.message);
      $("main").hidden = true;
      return;
    }
    $("signin").hidden = true;
    $("main").hidden = false;
    $("nav").hidden = false;
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
    if (token()) show();
  });
}

"use strict";
// One decision as this viewer may see it, and its inclusion proof checked in this browser
// against the latest signed checkpoint (verify.js): "verified" or the first mismatch.
const VIEW_KEYS = ["leaf_index", "leaf_hash", "view_masked"];

function field(list, name, value) { list.append(el("dt", {}, name), el("dd", {}, value)); }

function party(p) {
  if (!p) return "";
  return `${p.address || ""} ${p.org ? "(" + p.org + ", " + (p.jurisdiction || "?") + ")" : "(unknown)"}`;
}

function render(item) {
  const s = item.subject || {}, r = item.result || {};
  const list = $("summary");
  field(list, "time (UTC)", utc(item.time));
  field(list, "subject", `${s.sub}@${s.org} (${s.jurisdiction}, ${s.entity_kind}, KYC ${s.kyc}, roles ${(s.roles || []).join(", ")})`);
  field(list, "method", `${item.method} (${item.kind}, ledger ${item.ledger})`);
  field(list, "outcome", el("span", { className: item.outcome }, item.outcome));
  field(list, "jurisdictions applied", (r.jurisdictions || []).join(", ") || "none");
  field(list, "policy revision", item.revision);
  if (item.kind === "write") field(list, "amount (USD)", `${item.amount_usd}${item.cross_border ? ", cross-border" : ""}`);
  field(list, "leaf", `${item.leaf_index} · ${item.leaf_hash}`);
  renderReasons(r.reasons || []);
  renderObligations(r.obligations || {});
  renderEffects((item.input || {}).effects);
  const notes = [];
  if ((item.masked || []).length) notes.push(`Erased before logging (policy mask): ${item.masked.join(", ")}.`);
  if ((item.view_masked || []).length) notes.push(`Hidden from your role (shown as "masked"): ${item.view_masked.join(", ")}.`);
  $("masking").textContent = notes.join(" ") || "Nothing is masked in this record.";
  $("input").textContent = JSON.stringify(item.input, null, 2);
}

function renderReasons(reasons) {
  if (!reasons.length) { $("reasons").replaceChildren(el("p", {}, "None: no rule denied this call.")); return; }
  const head = el("tr", {}, ...["code", "jurisdiction", "regulation", "message"].map((h) => el("th", {}, h)));
  const rows = reasons.map((x) => el("tr", {}, el("td", {}, x.code), el("td", {}, x.jurisdiction),
    el("td", { className: "regulation" }, x.regulation), el("td", {}, x.message)));
  $("reasons").replaceChildren(el("table", { id: "reason-table" }, el("thead", {}, head), el("tbody", {}, ...rows)));
}

function renderObligations(o) {
  const list = el("dl", { className: "summary", id: "obligation-list" });
  field(list, "travel rule required", o.require_travel_rule ? "yes" : "no");
  field(list, "redact", (o.redact || []).join(", ") || "nothing");
  field(list, "report", (o.report || []).length ? JSON.stringify(o.report) : "nothing");
  $("obligations").replaceChildren(list);
}

function renderEffects(effects) {
  if (!effects || !effects.length) { $("effects").replaceChildren(el("p", {}, "None: this call moves no value.")); return; }
  const head = el("tr", {}, ...["kind", "asset", "value", "USD", "from", "to"].map((h) => el("th", {}, h)));
  const rows = effects.map((e) => el("tr", {}, el("td", {}, e.kind), el("td", {}, (e.asset || {}).symbol || "?"),
    el("td", {}, e.value), el("td", {}, e.amount_usd ?? "unknown"), el("td", {}, party(e.from)), el("td", {}, party(e.to))));
  $("effects").replaceChildren(el("table", { id: "effect-table" }, el("thead", {}, head), el("tbody", {}, ...rows)));
}

function step(text) { $("proof-steps").append(el("li", {}, text)); }

function status(text, kind) {
  const node = $("proof-status");
  node.textContent = text;
  node.className = kind;
}

// The proof, waiting (as the server asks) while the record is newer than the latest checkpoint.
async function proofOf(id) {
  for (;;) {
    try { return await api(`/audit/decisions/${encodeURIComponent(id)}/proof`); }
    catch (e) {
      if (e.status !== 409) throw e;
      status(`waiting for the next signed checkpoint (${e.message})`, "pending");
      await new Promise((done) => setTimeout(done, 1000 * Math.max(1, e.retryAfter)));
    }
  }
}

async function leafOf(item, proof) {
  const reported = b64bytes(item.leaf_hash);
  if (!same(reported, b64bytes(proof.leaf_hash))) throw new Mismatch("the record's leaf hash differs between the record and its proof");
  if (!proof.leaf_data) {
    step(`Your view is masked (${item.view_masked.join(", ")}): the record's bytes are not recomputed, its leaf hash is proven.`);
    return reported;
  }
  const data = b64bytes(proof.leaf_data);
  const shown = Object.fromEntries(Object.entries(item).filter(([k]) => !VIEW_KEYS.includes(k)));
  if (!sameJson(JSON.parse(new TextDecoder().decode(data)), shown)) throw new Mismatch("the record shown differs from the logged bytes");
  const computed = await leafHash(data);
  if (!same(computed, reported)) {
    throw new Mismatch(`the record's hash SHA-256(0x00 || record) = ${b64text(computed)} is not its leaf hash ${item.leaf_hash}`);
  }
  step(`Leaf hash recomputed from the logged record: ${b64text(computed)}.`);
  return computed;
}

async function check(item) {
  const proof = await proofOf(item.id);
  const latest = await api("/audit/checkpoints/latest");
  const signer = await parseVerifierKey(latest.public_key.vkey);
  step(`Log key ${latest.public_key.vkey}.`);
  const cp = await verifyCheckpoint(proof.checkpoint, signer);
  step(`Checkpoint of size ${cp.size} and root ${cp.rootText}: Ed25519 signature valid.`);
  if (cp.size !== proof.tree_size || cp.rootText !== proof.root) throw new Mismatch("the proof is not for the signed checkpoint");
  const leaf = await leafOf(item, proof);
  const root = await rootFromInclusion(item.leaf_index, cp.size, leaf, proof.proof.map(b64bytes));
  if (!same(root, cp.root)) {
    throw new Mismatch(`the root computed from leaf ${item.leaf_index} and its inclusion proof, ${b64text(root)}, is not the signed root ${cp.rootText}`);
  }
  step(`Root recomputed from leaf ${item.leaf_index} and ${proof.proof.length} proof hashes equals the signed root.`);
}

consolePage(async () => {
  const id = $("decision").dataset.decisionId;
  const item = await api(`/audit/decisions/${encodeURIComponent(id)}`);
  render(item);
  check(item).then(() => status("verified", "verified"), (e) => {
    status(e instanceof Mismatch ? "mismatch: " + e.message : "not checked: " + e.message, "mismatch");
  });
});

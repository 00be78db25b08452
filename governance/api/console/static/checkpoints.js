"use strict";
// Checkpoint history: each note's Ed25519 signature and its consistency with the previous
// (smaller) checkpoint, both checked in this browser (verify.js) from /audit/consistency proofs.
const LIMIT = 50;

function cell(tr, index, text, ok) {
  const td = tr.cells[index];
  td.textContent = text;
  td.className = ok ? "ok" : "bad";
}

async function signature(cp, signer) {
  try {
    const signed = await verifyCheckpoint(cp.note, signer);
    if (signed.size !== cp.size || signed.rootText !== cp.root) throw new Mismatch("the note does not sign this size and root");
    return signed;
  } catch (e) {
    return { error: e instanceof Mismatch ? e.message : "not checked: " + e.message };
  }
}

async function consistency(older, newer) {
  const proof = await api(`/audit/consistency?first=${older.size}&second=${newer.size}`);
  await verifyConsistency(older.size, newer.size, older.root, newer.root, proof.proof.map(b64bytes));
}

async function checkAll(items, signer, complete) {
  const rows = $("table").tBodies[0].rows;
  const signed = [];
  for (const [i, cp] of items.entries()) {
    signed[i] = await signature(cp, signer);
    cell(rows[i], 3, signed[i].error ? "invalid: " + signed[i].error : "valid", !signed[i].error);
  }
  for (const [i, cp] of items.entries()) {
    const older = signed[i + 1], newer = signed[i];
    if (!older) {
      cell(rows[i], 4, complete ? "first checkpoint" : `older checkpoints not shown (latest ${LIMIT})`, true);
    } else if (older.error || newer.error) {
      cell(rows[i], 4, "not checked: a signature is invalid", false);
    } else {
      try {
        await consistency(older, newer);
        cell(rows[i], 4, `consistent with ${older.size}`, true);
      } catch (e) {
        cell(rows[i], 4, `inconsistent with ${older.size}: ${e.message}`, false);
      }
    }
  }
}

async function load() {
  const [history, latest] = await Promise.all([
    api(`/audit/checkpoints?limit=${LIMIT + 1}`),
    api("/audit/checkpoints/latest").catch((e) => { if (e.status === 404) return null; throw e; }),
  ]);
  const items = history.items.slice(0, LIMIT);
  if (!latest || !items.length) {
    say("No checkpoint is signed yet: the log signs one every audit.checkpoint_seconds once it holds decisions. Send traffic through /rpc and come back.");
    return;
  }
  $("vkey").textContent = latest.public_key.vkey;
  const signer = await parseVerifierKey(latest.public_key.vkey);
  $("table").tBodies[0].replaceChildren(...items.map((cp) => el("tr", {},
    el("td", {}, cp.size), el("td", {}, utc(cp.time)), el("td", {}, el("code", { className: "hash" }, cp.root)),
    el("td", { className: "pending" }, "checking…"), el("td", { className: "pending" }, "checking…"))));
  checkAll(items, signer, history.items.length <= LIMIT).catch((e) => say(e.message));
}

consolePage(load);

"use strict";
// Checks in the browser, with WebCrypto only, what the log's server claims (docs/design.md,
// governance/audit/merkle.py and checkpoint.py): RFC 6962 leaf and node hashes, RFC 9162
// inclusion and consistency proofs, and C2SP signed-note checkpoints signed with Ed25519.
// Each check throws a Mismatch naming the first thing that does not match.
class Mismatch extends Error {}

const enc = new TextEncoder();
const b64bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const b64text = (bytes) => btoa(String.fromCharCode(...bytes));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

// The verifier key "<name>+<hex key id>+<base64(0x01 || 32-byte key)>", its id recomputed.
async function parseVerifierKey(vkey) {
  const first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
  if (first < 1 || second < 0) throw new Mismatch("the log's verifier key is malformed");
  const name = vkey.slice(0, first), id = vkey.slice(first + 1, second);
  const typed = b64bytes(vkey.slice(second + 1));
  if (typed.length !== 33 || typed[0] !== 1) throw new Mismatch("the log's key is not an Ed25519 key");
  const digest = await sha256(concat(enc.encode(name + "\n"), typed));
  const keyId = digest.slice(0, 4);
  if ([...keyId].map((b) => b.toString(16).padStart(2, "0")).join("") !== id.toLowerCase()) {
    throw new Mismatch("the log's key id does not match its name and public key");
  }
  const key = await crypto.subtle.importKey("raw", typed.slice(1), { name: "Ed25519" }, false, ["verify"]);
  return { name, keyId, key };
}

// Verifies the note's signature by `signer` and returns the checkpoint it signs.
async function verifyCheckpoint(note, signer) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new Mismatch("the checkpoint note is malformed");
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  const prefix = "\u2014 " + signer.name + " ";
  let verified = false;
  for (const line of lines.filter((l) => l.startsWith(prefix))) {
    const blob = b64bytes(line.slice(prefix.length));
    if (blob.length !== 68 || !same(blob.slice(0, 4), signer.keyId)) continue;
    if (!await crypto.subtle.verify({ name: "Ed25519" }, signer.key, blob.slice(4), enc.encode(body))) {
      throw new Mismatch("the checkpoint's Ed25519 signature does not verify");
    }
    verified = true;
  }
  if (!verified) throw new Mismatch("the checkpoint carries no signature by the log's key");
  const [origin, size, root, ...extra] = body.slice(0, -1).split("\n");
  if (extra.length || !/^(0|[1-9][0-9]*)$/.test(size)) throw new Mismatch("the checkpoint body is malformed");
  if (origin !== signer.name) throw new Mismatch(`the checkpoint's origin ${origin} is not the key's name ${signer.name}`);
  return { origin, size: Number(size), root: b64bytes(root), rootText: root };
}

// RFC 9162 section 2.1.3.2: the root that `proof` leads to from leaf `index` of `size`.
async function rootFromInclusion(index, size, leaf, proof) {
  if (index >= size) throw new Mismatch(`leaf ${index} is outside a tree of ${size}`);
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Mismatch("the inclusion proof is longer than the tree is deep");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Mismatch("the inclusion proof is shorter than the tree is deep");
  return r;
}

// RFC 9162 section 2.1.4.2: does `proof` show the tree of `first` leaves (root `firstRoot`)
// is a prefix of the tree of `second` leaves (root `secondRoot`)?
async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) throw new Mismatch(`the log shrank from ${first} to ${second} leaves`);
  if (first === second) {
    if (proof.length || !same(firstRoot, secondRoot)) throw new Mismatch("same size, different roots");
    return;
  }
  if (first === 0) return;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
  if (!path.length) throw new Mismatch("the consistency proof is empty");
  let fn = first - 1, sn = second - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) throw new Mismatch("the consistency proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr); sr = await nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Mismatch("the consistency proof is too short");
  if (!same(fr, firstRoot)) throw new Mismatch(`the proof does not lead to the signed root of size ${first}`);
  if (!same(sr, secondRoot)) throw new Mismatch(`the proof does not lead to the signed root of size ${second}`);
}

// Structural equality of parsed JSON (key order ignored).
function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

"use strict";
// The decisions table: filters, cursor paging, and new decisions as they are made, read from
// /audit/stream with fetch() (EventSource cannot send the Authorization header).
let older = null;
let live = null;  // AbortController of the running stream

function filters() {
  const params = new URLSearchParams();
  for (const field of $("filters").elements) if (field.name && field.value.trim()) params.set(field.name, field.value.trim());
  return params;
}

function row(item) {
  const s = item.subject || {}, r = item.result || {};
  const reasons = [...new Set((r.reasons || []).map((x) => x.code))].sort().join(", ");
  const link = el("a", { href: "/console/decisions/" + encodeURIComponent(item.id) }, item.leaf_index);
  const cells = [link, utc(item.time), `${s.sub}@${s.org}`, item.method, item.outcome, reasons,
    (r.jurisdictions || []).join(", ")];
  const tr = el("tr", {}, ...cells.map((c, i) => el("td", i === 4 ? { className: item.outcome } : {}, c)));
  tr.dataset.id = item.id;
  tr.dataset.leaf = item.leaf_index;
  return tr;
}

function showEmpty() {
  say($("table").tBodies[0].rows.length ? "" : "No decisions match. Send traffic through /rpc or change the filters.");
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
  showEmpty();
  if (!cursor) follow(page.items.length ? page.items[0].leaf_index : -1);
}

// Prepends items (sent in leaf order) above the newest row.
function prepend(items) {
  const body = $("table").tBodies[0];
  for (const item of items) {
    if (body.querySelector(`tr[data-id="${CSS.escape(item.id)}"]`)) continue;
    const tr = row(item);
    tr.className = "new";
    body.insertBefore(tr, body.firstChild);
  }
  showEmpty();
}

// Server-Sent Events framing: blocks separated by a blank line, "field: value" lines.
function parseEvents(buffer, onEvent) {
  let cut;
  while ((cut = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, cut);
    buffer = buffer.slice(cut + 2);
    const ev = { event: "message", data: [], id: null };
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "data") ev.data.push(value); else ev[name] = value;
    }
    onEvent(ev);
  }
  return buffer;
}

// Follows the stream from leaf `after`; the server ends a stream after a while and we
// reconnect from the last leaf seen. Stops on a refused token or when the filters change.
function follow(after) {
  if (live) live.abort();
  const control = live = new AbortController();
  const params = filters();
  let last = after, pause = 1000, retry = 1000;
  (async () => {
    while (!control.signal.aborted) {
      params.set("after", String(last));
      try {
        const resp = await fetch("/audit/stream?" + params, {
          headers: { Authorization: "Bearer " + token(), Accept: "text/event-stream" }, signal: control.signal,
        });
        if (!resp.ok) throw await failure(resp);
        $("live").textContent = "live";
        pause = 1000;
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = parseEvents(buffer + value.replace(/\r\n?/g, "\n"), (ev) => {
            if (ev.retry && /^\d+$/.test(ev.retry)) retry = Number(ev.retry);
            if (ev.event !== "decisions") return;
            prepend(JSON.parse(ev.data.join("\n")).items);
            if (ev.id !== null && /^\d+$/.test(ev.id)) last = Number(ev.id);
          });
        }
        // The server ended this stream (it does after 30 s): reconnect after the delay
        // it asked for, from the last leaf seen.
        await new Promise((done) => setTimeout(done, retry));
      } catch (e) {
        if (control.signal.aborted) return;
        if (e.status === 401 || e.status === 403 || e.status === 400) { $("live").textContent = ""; say(e.message); return; }
        $("live").textContent = `reconnecting (${e.message})`;
        await new Promise((done) => setTimeout(done, pause));
        pause = Math.min(pause * 2, 30000);
      }
    }
  })();
}

consolePage(() => load(null));
document.addEventListener("DOMContentLoaded", () => {
  $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(null).catch((e) => say(e.message)); });
  $("older").addEventListener("click", () => load(older).catch((e) => say(e.message)));
});

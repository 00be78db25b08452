"use strict";
// Overview charts from /audit/stats over the caller's scope: decisions by outcome, top reason
// codes per jurisdiction, denials per jurisdiction over time, and the limit use of the busiest
// subjects. Chart.js is served by the gateway itself (static/vendor). Each chart is kept in
// window.consoleCharts so its data can be read back.
window.consoleCharts = {};
const COLOURS = ["#1b7f3b", "#b00020", "#3557b7", "#d08a00", "#7a3db8", "#0f8a8a", "#8a5a2b", "#556070"];
const STEP_NAMES = { 60: "minute", 3600: "hour", 86400: "day", 604800: "week" };
const EMPTY = {
  outcomes: "No decisions in this window and your scope. Send traffic through /rpc (scripts/demo prints a token) or pick a longer window.",
  reasons: "No denials with reason codes in this window. Denied calls appear here per jurisdiction; pick a longer window to see older ones.",
  denials: "No denials in this window. Denied calls appear here per jurisdiction over time.",
  usage: "No allowed writes in this window: the busiest subjects' daily-limit and FX-quota use appear after transfers through /rpc.",
};

function label(bucket, step) { return step >= 86400 ? bucket.slice(0, 10) : bucket.slice(11, 16); }

function draw(name, config, empty) {
  if (window.consoleCharts[name]) window.consoleCharts[name].destroy();
  delete window.consoleCharts[name];
  const canvas = $("chart-" + name), note = $("empty-" + name);
  canvas.hidden = empty; note.hidden = !empty;
  note.textContent = empty ? EMPTY[name] : "";
  if (empty) return;
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
  window.consoleCharts[name] = new Chart(canvas, config);
}

// Outcomes keep green and red; other series start after them.
function series(names, values, first = 2) {
  return names.map((name, i) => {
    const colour = COLOURS[(first + i) % COLOURS.length];
    return { label: name, data: values[i], backgroundColor: colour, borderColor: colour, maxBarThickness: 48 };
  });
}

function outcomes(stats, labels) {
  const names = Object.keys(stats.outcomes).sort();
  draw("outcomes", { type: "bar", data: { labels, datasets: series(names, names.map((n) => stats.outcomes[n]), 0) },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } } },
  stats.examined === 0);
}

function reasons(stats) {
  const places = Object.keys(stats.top_reasons);
  const codes = [...new Set(places.flatMap((j) => stats.top_reasons[j].map((r) => r.code)))].sort();
  const counts = codes.map((code) => places.map((j) => (stats.top_reasons[j].find((r) => r.code === code) || { count: 0 }).count));
  draw("reasons", { type: "bar", data: { labels: places, datasets: series(codes, counts) },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } }, !codes.length);
}

function denials(stats, labels) {
  const places = Object.keys(stats.denials_by_jurisdiction);
  draw("denials", { type: "line", data: { labels, datasets: series(places, places.map((j) => stats.denials_by_jurisdiction[j])) },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } }, !places.length);
}

// Percent of each limit used; a limit the policy data does not give (or whose currency has no
// rate) is null, drawn as no bar, never as zero.
function usage(stats) {
  const rows = stats.usage || [];
  const pct = (used, limit) => (limit ? (used / limit) * 100 : null);
  const datasets = series(["daily limit used (%)", "annual FX quota used (%)"], [
    rows.map((u) => pct(u.daily_usd, u.daily_limit_usd)),
    rows.map((u) => pct(u.fx_annual_usd, u.fx_quota_usd)),
  ]);
  datasets[0].usd = rows.map((u) => [u.daily_usd, u.daily_limit_usd]);
  datasets[1].usd = rows.map((u) => [u.fx_annual_usd, u.fx_quota_usd]);
  const tip = (ctx) => {
    const [used, limit] = ctx.dataset.usd[ctx.dataIndex];
    return `${ctx.dataset.label}: ${ctx.raw}% (${used} of ${limit ?? "unknown"} USD)`;
  };
  draw("usage", { type: "bar", data: { labels: rows.map((u) => `${u.sub}@${u.org} (${u.jurisdiction}, ${u.entity_kind})`), datasets },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, suggestedMax: 100 } }, plugins: { tooltip: { callbacks: { label: tip } } } } },
  !rows.length);
}

async function load() {
  if (typeof Chart === "undefined") throw new Error("The chart library is missing from this install: run scripts/setup (scripts/vendor-chart).");
  const seconds = Number($("range").value);
  const until = new Date(), since = new Date(until.getTime() - seconds * 1000);
  const params = new URLSearchParams({ since: since.toISOString(), until: until.toISOString() });
  const stats = await api("/audit/stats?" + params);
  const step = STEP_NAMES[stats.bucket_seconds] || `${stats.bucket_seconds} s`;
  document.querySelectorAll(".step").forEach((node) => { node.textContent = step; });
  $("window").textContent = `${utc(stats.since)} to ${utc(stats.until)} UTC, ${stats.examined} decisions${stats.truncated ? " (truncated: the newest only)" : ""}`;
  const labels = stats.buckets.map((b) => label(b, stats.bucket_seconds));
  outcomes(stats, labels);
  reasons(stats);
  denials(stats, labels);
  usage(stats);
}

consolePage(load);
document.addEventListener("DOMContentLoaded", () => {
  $("range").addEventListener("change", () => load().catch((e) => say(e.message)));
});

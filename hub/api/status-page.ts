/**
 * The `/` status page: one self-contained HTML document (no external assets) that shows the fleet's
 * nodes and pods. The server renders the tables (so the page works without JavaScript); an inline
 * script re-fetches /status.json every few seconds and redraws them with textContent only. Every
 * value from the store is HTML-escaped.
 */
import { shortAge } from '../../protocol/pod-display.js';
import type { FleetSummary, NodeSummary, PodSummary } from './status-summary.js';

export const REFRESH_SECONDS = 3;

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function formatBytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

function usage(used: number | null, total: number | null): string {
  if (used === null && total === null) return '-';
  if (used === null) return formatBytes(total);
  if (total === null || total === 0) return formatBytes(used);
  return `${formatBytes(used)} / ${formatBytes(total)} (${Math.round((used / total) * 100)}%)`;
}

export const NODE_COLUMNS = ['Name', 'Ready', 'Arch', 'CPU', 'Memory', 'Disk', 'Runtime', 'Last heartbeat', 'Pods'];
export const POD_COLUMNS = ['Namespace', 'Name', 'Status', 'Ready', 'Node', 'Restarts', 'Age', 'Ports'];

export function nodeCells(n: NodeSummary, now: number): string[] {
  const cpu = n.cpuCores === null ? '-' : `${n.cpuCores} cores${n.cpuPercent === null ? '' : `, ${n.cpuPercent.toFixed(0)}%`}`;
  return [
    n.name,
    n.ready === 'True' ? (n.unschedulable ? 'Ready, cordoned' : 'Ready') : 'NotReady',
    n.arch || '-',
    cpu,
    usage(n.memoryUsedBytes, n.memoryTotalBytes),
    usage(n.diskUsedBytes, n.diskTotalBytes),
    n.runtime || '-',
    n.lastHeartbeat ? `${shortAge(n.lastHeartbeat, now)} ago` : '-',
    String(n.pods),
  ];
}

export function podCells(p: PodSummary, now: number): string[] {
  return [p.namespace, p.name, p.status, p.ready, p.node || '<none>', String(p.restarts), shortAge(p.createdAt, now), p.ports.join(', ') || '-'];
}

function table(id: string, columns: string[], rows: string[][], empty: string): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body =
    rows.length === 0
      ? `<tr><td class="empty" colspan="${columns.length}">${escapeHtml(empty)}</td></tr>`
      : rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The client half: shortAge, formatBytes and the cell builders again, in plain browser JS. */
const CLIENT_SCRIPT = `
(function () {
  var REFRESH = ${REFRESH_SECONDS * 1000};
  ${shortAge.toString()}
  ${formatBytes.toString()}
  ${usage.toString()}
  ${nodeCells.toString()}
  ${podCells.toString()}
  function fill(id, rows, cols, empty) {
    var tbody = document.querySelector('#' + id + ' tbody');
    var frag = document.createDocumentFragment();
    if (rows.length === 0) {
      var tr = document.createElement('tr'); var td = document.createElement('td');
      td.className = 'empty'; td.colSpan = cols; td.textContent = empty; tr.appendChild(td); frag.appendChild(tr);
    }
    rows.forEach(function (cells) {
      var tr = document.createElement('tr');
      cells.forEach(function (c) { var td = document.createElement('td'); td.textContent = c; tr.appendChild(td); });
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
  }
  var token = new URLSearchParams(location.search).get('token');
  function refresh() {
    var url = 'status.json' + (token ? '?token=' + encodeURIComponent(token) : '');
    fetch(url, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (s) {
      var now = Date.now();
      fill('nodes', s.nodes.map(function (n) { return nodeCells(n, now); }), ${NODE_COLUMNS.length}, 'No nodes have joined yet.');
      fill('pods', s.pods.map(function (p) { return podCells(p, now); }), ${POD_COLUMNS.length}, 'No pods.');
      document.getElementById('counts').textContent = s.nodes.length + ' nodes, ' + s.pods.length + ' pods';
      document.getElementById('updated').textContent = 'updated ' + new Date(s.generatedAt).toLocaleTimeString();
      document.getElementById('error').textContent = '';
    }).catch(function (e) {
      document.getElementById('error').textContent = 'refresh failed: ' + e.message;
    }).finally(function () { setTimeout(refresh, REFRESH); });
  }
  setTimeout(refresh, REFRESH);
})();
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2430; background: #f6f7f9; }
h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
.meta { color: #5b6575; } #error { color: #b3261e; }
table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
th, td { text-align: left; padding: .35em .7em; border-bottom: 1px solid #e6e8ec; white-space: nowrap; }
th { background: #eef0f3; font-weight: 600; } td.empty { color: #5b6575; font-style: italic; }
`;

/** The whole page. `nonce` authorises the inline script under the page's Content-Security-Policy. */
export function renderStatusPage(summary: FleetSummary, now: number, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drover fleet</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Drover fleet</h1>
<div class="meta"><span id="counts">${summary.nodes.length} nodes, ${summary.pods.length} pods</span> · <span id="updated">updated ${escapeHtml(summary.generatedAt)}</span> <span id="error"></span></div>
<h2>Nodes</h2>
${table('nodes', NODE_COLUMNS, summary.nodes.map((n) => nodeCells(n, now)), 'No nodes have joined yet.')}
<h2>Pods</h2>
${table('pods', POD_COLUMNS, summary.pods.map((p) => podCells(p, now)), 'No pods.')}
<script nonce="${escapeHtml(nonce)}">${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

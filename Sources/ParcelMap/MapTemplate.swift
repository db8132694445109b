extension MapPage {
    /// The page: layout, styles and the drawing code (canvas 2D). `MapPage.Writer` fills in
    /// {{title}}, {{panels}} (the summary and checks as HTML), {{compare}} and {{data}}.
    /// Drawing reads only the inline JSON, so the file works offline.
    static let template = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 13px/1.4 system-ui, "Noto Sans CJK SC", sans-serif; color: #222; display: flex; flex-direction: column; height: 100vh; }
  header { padding: 6px 12px; background: #26415e; color: #fff; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 16px; margin: 0; }
  header .note { opacity: .8; font-size: 12px; }
  main { flex: 1; display: flex; min-height: 0; }
  #maps { flex: 1; display: flex; min-width: 0; }
  .mapbox { flex: 1; position: relative; border-right: 1px solid #bbb; min-width: 0; background: #f7f7f2; }
  .mapbox canvas { position: absolute; inset: 0; width: 100%; height: 100%; cursor: grab; }
  .mapbox .date { position: absolute; left: 8px; top: 8px; background: rgba(255,255,255,.9); padding: 2px 8px; border-radius: 3px; font-weight: 600; }
  .scalebar { position: absolute; left: 12px; bottom: 14px; height: 8px; border: 2px solid #222; border-top: none; background: rgba(255,255,255,.6); }
  .scalebar span { position: absolute; left: 0; bottom: 10px; white-space: nowrap; font-weight: 600; text-shadow: 0 0 3px #fff; }
  .north { position: absolute; right: 14px; top: 10px; width: 34px; text-align: center; font-weight: 700; }
  .north .arrow { display: block; width: 0; height: 0; margin: 0 auto; border-left: 9px solid transparent; border-right: 9px solid transparent; border-bottom: 26px solid #222; }
  .zoom { position: absolute; right: 12px; bottom: 14px; display: flex; flex-direction: column; gap: 2px; }
  .zoom button { width: 28px; height: 28px; font-size: 16px; }
  aside { width: 470px; overflow: auto; padding: 8px 12px; border-left: 1px solid #bbb; background: #fff; }
  aside h2 { font-size: 15px; margin: 12px 0 4px; border-bottom: 1px solid #ccc; }
  aside h3 { font-size: 13px; margin: 10px 0 4px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { border-bottom: 1px solid #e3e3e3; padding: 2px 4px; text-align: left; vertical-align: top; }
  td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
  table.summary td:nth-child(n+2), table.summary th:nth-child(n+2) { text-align: right; }
  tr.total td { font-weight: 600; }
  tr.fail td:nth-child(2) { color: #c00; font-weight: 700; }
  tr.pass td:nth-child(2) { color: #070; }
  .swatch { display: inline-block; width: 14px; height: 10px; border: 1px solid #666; margin-right: 4px; vertical-align: middle; }
  #legend li { list-style: none; margin: 2px 0; }
  #legend ul { padding: 0; margin: 0; }
  .swatch.pbf { background: repeating-linear-gradient(45deg, #fff 0 2px, #1b7837 2px 3px); }
  .swatch.block { border: 2px solid #111; background: none; }
  .swatch.violation { border: 2px solid #e31a1c; background: none; }
  .method { color: #555; font-size: 11px; margin: 0; }
  #info { min-height: 60px; background: #f4f6f8; padding: 6px; border-radius: 4px; }
  #info .muted { color: #777; }
</style>
</head>
<body class="{{compare}}">
<header><h1>{{title}}</h1><span class="note">scroll to zoom, drag to pan, hover or click a parcel</span></header>
<main>
  <div id="maps"></div>
  <aside>
    <h2>Legend</h2><div id="legend"></div>
    <h2>Parcel</h2><div id="info"><span class="muted">hover over a parcel</span></div>
    {{panels}}
  </aside>
</main>
<script type="application/json" id="map-data">{{data}}</script>
<script>
"use strict";
const started = performance.now();
const D = JSON.parse(document.getElementById("map-data").textContent);
const U = D.unit;
// Every name from the store (ids, villages, refs, notes) goes into HTML through esc.
const esc = t => String(t).replace(/[&<>"']/g, ch => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);

// Shapes: {n: rings per shape, r: positions per ring, c: dx,dy pairs}. Decoded to metres
// from the origin, with each shape's bounding box.
function decode(g) {
  const total = g.c.length / 2;
  const x = new Float64Array(total), y = new Float64Array(total);
  let px = 0, py = 0;
  for (let i = 0; i < total; i++) { px += g.c[2 * i]; py += g.c[2 * i + 1]; x[i] = px * U; y[i] = py * U; }
  const ringStart = new Int32Array(g.r.length + 1);
  for (let i = 0; i < g.r.length; i++) ringStart[i + 1] = ringStart[i] + g.r[i];
  const shapeRing = new Int32Array(g.n.length + 1);
  for (let i = 0; i < g.n.length; i++) shapeRing[i + 1] = shapeRing[i] + g.n[i];
  const box = new Float64Array(g.n.length * 4);
  for (let s = 0; s < g.n.length; s++) {
    let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
    for (let v = ringStart[shapeRing[s]]; v < ringStart[shapeRing[s + 1]]; v++) {
      if (x[v] < a) a = x[v]; if (y[v] < b) b = y[v]; if (x[v] > c) c = x[v]; if (y[v] > d) d = y[v];
    }
    box[4 * s] = a; box[4 * s + 1] = b; box[4 * s + 2] = c; box[4 * s + 3] = d;
  }
  return { count: g.n.length, x, y, ringStart, shapeRing, box };
}

const layers = D.layers.map(l => ({ ...l, geoms: l.shapes.map(s => ({ name: s.name, closed: s.closed, g: decode(s.g) })) }));
const panels = D.panels.map((p, k) => {
  const g = decode(p.g);
  const blocks = p.blocks.map(b => ({ ...b, g: decode(b.g) }));
  const blocksBySize = blocks.slice().sort((a, b) => b.mu - a.mu);
  return { k, p, g, blocks, blocksBySize, grid: buildGrid(g) };
});

// Extent of every panel's parcels.
let ext = [Infinity, Infinity, -Infinity, -Infinity];
for (const P of panels) for (let s = 0; s < P.g.count; s++) {
  const b = P.g.box;
  ext = [Math.min(ext[0], b[4 * s]), Math.min(ext[1], b[4 * s + 1]), Math.max(ext[2], b[4 * s + 2]), Math.max(ext[3], b[4 * s + 3])];
}

// A uniform grid over the parcels' boxes for hit tests.
function buildGrid(g) {
  let e = [Infinity, Infinity, -Infinity, -Infinity];
  for (let s = 0; s < g.count; s++) {
    e = [Math.min(e[0], g.box[4 * s]), Math.min(e[1], g.box[4 * s + 1]), Math.max(e[2], g.box[4 * s + 2]), Math.max(e[3], g.box[4 * s + 3])];
  }
  const n = Math.max(1, Math.min(512, Math.ceil(Math.sqrt(g.count / 2))));
  const w = (e[2] - e[0]) / n || 1, h = (e[3] - e[1]) / n || 1;
  const cells = new Map();
  for (let s = 0; s < g.count; s++) {
    const i0 = Math.floor((g.box[4 * s] - e[0]) / w), i1 = Math.min(n - 1, Math.floor((g.box[4 * s + 2] - e[0]) / w));
    const j0 = Math.floor((g.box[4 * s + 1] - e[1]) / h), j1 = Math.min(n - 1, Math.floor((g.box[4 * s + 3] - e[1]) / h));
    for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) {
      const key = i * n + j; let list = cells.get(key); if (!list) cells.set(key, list = []); list.push(s);
    }
  }
  return { e, n, w, h, cells };
}

function contains(g, s, mx, my) {
  const b = g.box;
  if (mx < b[4 * s] || mx > b[4 * s + 2] || my < b[4 * s + 1] || my > b[4 * s + 3]) return false;
  let inside = false;
  for (let r = g.shapeRing[s]; r < g.shapeRing[s + 1]; r++) {
    const a = g.ringStart[r], z = g.ringStart[r + 1];
    for (let i = a, j = z - 1; i < z; j = i++) {
      if ((g.y[i] > my) !== (g.y[j] > my) && mx < (g.x[j] - g.x[i]) * (my - g.y[i]) / (g.y[j] - g.y[i]) + g.x[i]) inside = !inside;
    }
  }
  return inside;
}

function hit(P, mx, my) {
  const G = P.grid, i = Math.floor((mx - G.e[0]) / G.w), j = Math.floor((my - G.e[1]) / G.h);
  if (i < 0 || j < 0 || i >= G.n || j >= G.n) return -1;
  for (const s of G.cells.get(i * G.n + j) || []) if (contains(P.g, s, mx, my)) return s;
  return -1;
}

// The view, shared by the panels when comparing: centre (metres) and pixels per metre.
const view = { cx: (ext[0] + ext[2]) / 2, cy: (ext[1] + ext[3]) / 2, scale: 1 };
let selected = null;

const hatch = (() => {
  const c = document.createElement("canvas"); c.width = c.height = 8;
  const x = c.getContext("2d"); x.strokeStyle = "rgba(27,120,55,0.9)"; x.lineWidth = 1.2;
  x.beginPath(); x.moveTo(0, 8); x.lineTo(8, 0); x.moveTo(-2, 2); x.lineTo(2, -2); x.moveTo(6, 10); x.lineTo(10, 6); x.stroke();
  return c;
})();

const maps = document.getElementById("maps");
for (const P of panels) {
  const box = document.createElement("div"); box.className = "mapbox"; box.id = "map-" + P.k;
  box.innerHTML = `<canvas data-panel="${P.k}"></canvas><div class="date">${esc(P.p.label)}</div>
    <div class="north" title="true north (grid north is up; meridian convergence ${D.northDegrees.toFixed(3)}°)"><span class="arrow" style="transform: rotate(${D.northDegrees}deg)"></span>N</div>
    <div class="scalebar"><span></span></div>
    <div class="zoom"><button data-z="2" title="zoom in">+</button><button data-z="0.5" title="zoom out">−</button><button data-z="0" title="whole programme">⤢</button></div>`;
  maps.appendChild(box);
  P.box = box; P.canvas = box.querySelector("canvas"); P.ctx = P.canvas.getContext("2d");
}

function fit() {
  const r = panels[0].canvas.getBoundingClientRect();
  view.cx = (ext[0] + ext[2]) / 2; view.cy = (ext[1] + ext[3]) / 2;
  view.scale = 0.95 * Math.min(r.width / Math.max(1, ext[2] - ext[0]), r.height / Math.max(1, ext[3] - ext[1]));
}

function addRings(ctx, g, s, tx, ty, k) {
  for (let r = g.shapeRing[s]; r < g.shapeRing[s + 1]; r++) {
    const a = g.ringStart[r], z = g.ringStart[r + 1];
    ctx.moveTo((g.x[a] - tx) * k, (ty - g.y[a]) * k);
    for (let v = a + 1; v < z; v++) ctx.lineTo((g.x[v] - tx) * k, (ty - g.y[v]) * k);
  }
}

function draw(P) {
  const t0 = performance.now();
  const dpr = window.devicePixelRatio || 1, c = P.canvas;
  const w = c.clientWidth, h = c.clientHeight;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
  const ctx = P.ctx;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const k = view.scale, tx = view.cx - w / 2 / k, ty = view.cy + h / 2 / k;
  const vx0 = tx, vx1 = view.cx + w / 2 / k, vy0 = view.cy - h / 2 / k, vy1 = ty;
  const visible = (b, s) => b[4 * s + 2] >= vx0 && b[4 * s] <= vx1 && b[4 * s + 3] >= vy0 && b[4 * s + 1] <= vy1;

  // Constraint layers: a light fill below the parcels.
  for (const L of layers) for (const f of L.geoms) if (f.closed) {
    ctx.beginPath(); for (let s = 0; s < f.g.count; s++) addRings(ctx, f.g, s, tx, ty, k);
    ctx.globalAlpha = 0.12; ctx.fillStyle = L.colour; ctx.fill("evenodd"); ctx.globalAlpha = 1;
  }

  // Parcels by state. A parcel under 4 px on screen is drawn as its bounding box: at that size
  // the shape cannot be seen, and boxes rasterise many times faster than polygons.
  const g = P.g, b = g.box, st = P.p.state, small = 4 / k;
  const shape = s => {
    const w = b[4 * s + 2] - b[4 * s], h = b[4 * s + 3] - b[4 * s + 1];
    if (w < small && h < small) ctx.rect((b[4 * s] - tx) * k, (ty - b[4 * s + 3]) * k, Math.max(1, w * k), Math.max(1, h * k));
    else addRings(ctx, g, s, tx, ty, k);
  };
  const byState = D.states.map(() => []);
  let drawn = 0;
  for (let s = 0; s < g.count; s++) if (visible(b, s)) { byState[st[s]].push(s); drawn++; }
  for (let i = 0; i < byState.length; i++) {
    if (!byState[i].length) continue;
    ctx.beginPath();
    for (const s of byState[i]) shape(s);
    ctx.fillStyle = D.states[i].colour; ctx.fill("evenodd");
  }
  const detailed = k * Math.sqrt((ext[2] - ext[0]) * (ext[3] - ext[1]) / Math.max(1, g.count)) > 6;
  if (detailed) {
    ctx.beginPath();
    for (const list of byState) for (const s of list) addRings(ctx, g, s, tx, ty, k);
    ctx.lineWidth = 0.6; ctx.strokeStyle = "rgba(60,60,60,0.55)"; ctx.stroke();
  }
  // Permanent basic farmland: hatched; seen from afar (parcels a few pixels wide, where hatching
  // cannot be read and costs the most to draw), shaded green instead.
  ctx.beginPath();
  let anyPBF = false;
  for (const list of byState) for (const s of list) if (P.p.pbf[s]) { shape(s); anyPBF = true; }
  if (anyPBF) { ctx.fillStyle = detailed ? ctx.createPattern(hatch, "repeat") : "rgba(27,120,55,0.4)"; ctx.fill("evenodd"); }

  // Constraint layers: outlines above the parcels.
  for (const L of layers) {
    ctx.beginPath(); for (const f of L.geoms) for (let s = 0; s < f.g.count; s++) addRings(ctx, f.g, s, tx, ty, k);
    ctx.setLineDash(L.id === "urban_boundary" || L.id === "programme_area" ? [8, 4] : []);
    ctx.lineWidth = L.id === "barriers" ? 3 : 2; ctx.strokeStyle = L.colour; ctx.stroke(); ctx.setLineDash([]);
  }
  // Blocks: outlined and labelled with their area.
  ctx.beginPath();
  for (const B of P.blocks) for (let s = 0; s < B.g.count; s++) if (visible(B.g.box, s)) addRings(ctx, B.g, s, tx, ty, k);
  ctx.lineWidth = 1.6; ctx.strokeStyle = "#111"; ctx.stroke();
  // Rule violations: red outlines.
  ctx.beginPath();
  for (const key in P.p.rules) { const s = +key; if (visible(b, s)) shape(s); }
  ctx.lineWidth = 2.2; ctx.strokeStyle = "#e31a1c"; ctx.stroke();
  if (selected !== null) {
    const s = P.p.ids.indexOf(selected);
    if (s >= 0) { ctx.beginPath(); addRings(ctx, g, s, tx, ty, k); ctx.lineWidth = 3; ctx.strokeStyle = "#0050ff"; ctx.stroke(); }
  }
  ctx.font = "600 12px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
  // Labels, largest blocks first; a label that would overlap one already drawn is left out.
  const placed = [];
  for (const B of P.blocksBySize) {
    const e = B.g.box; let a = Infinity, bb = Infinity, c2 = -Infinity, d = -Infinity;
    for (let s = 0; s < B.g.count; s++) { a = Math.min(a, e[4 * s]); bb = Math.min(bb, e[4 * s + 1]); c2 = Math.max(c2, e[4 * s + 2]); d = Math.max(d, e[4 * s + 3]); }
    if ((c2 - a) * k < 46 || c2 < vx0 || a > vx1 || d < vy0 || bb > vy1) continue;
    const label = B.mu.toLocaleString("en", { maximumFractionDigits: 1 }) + " mu";
    const X = ((a + c2) / 2 - tx) * k, Y = (ty - (bb + d) / 2) * k, half = ctx.measureText(label).width / 2 + 3;
    if (placed.some(q => Math.abs(q[0] - X) < q[2] + half && Math.abs(q[1] - Y) < 16)) continue;
    placed.push([X, Y, half]);
    ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.strokeText(label, X, Y); ctx.fillStyle = "#111"; ctx.fillText(label, X, Y);
  }
  scaleBar(P);
  // Keep the frame: while the user pans or zooms it is moved and scaled instead of redrawn.
  // (Copying it also makes the browser finish rasterising now, so drawMs is the whole cost.)
  if (!P.snapshot) P.snapshot = document.createElement("canvas");
  P.snapshot.width = c.width; P.snapshot.height = c.height;
  P.snapshot.getContext("2d").drawImage(c, 0, 0);
  P.snapView = { cx: view.cx, cy: view.cy, scale: view.scale };
  c.dataset.drawnParcels = drawn;
  c.dataset.drawMs = (performance.now() - t0).toFixed(1);
}

function scaleBar(P) {
  const target = 120 / view.scale; // metres in about 120 px
  const p = Math.pow(10, Math.floor(Math.log10(target)));
  const m = [1, 2, 5, 10].map(f => f * p).filter(v => v <= target).pop() || p;
  const bar = P.box.querySelector(".scalebar");
  bar.style.width = (m * view.scale) + "px";
  bar.dataset.metres = m;
  bar.querySelector("span").textContent = m >= 1000 ? (m / 1000) + " km" : m + " m";
}

let pending = false;
function redraw() {
  if (pending) return; pending = true;
  requestAnimationFrame(() => { pending = false; for (const P of panels) draw(P); });
}

// During a drag or a wheel zoom, each frame moves and scales the last full drawing (constant
// time, however many parcels); the full drawing follows once the movement pauses.
let settle = null, quickPending = false;
function quickFrame() {
  for (const P of panels) {
    if (!P.snapshot) continue;
    const c = P.canvas, w = c.clientWidth, h = c.clientHeight, S = P.snapView, r = view.scale / S.scale;
    const x0 = (S.cx - w / 2 / S.scale - view.cx) * view.scale + w / 2, y0 = (view.cy - (S.cy + h / 2 / S.scale)) * view.scale + h / 2;
    const ctx = P.ctx, dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(P.snapshot, x0, y0, w * r, h * r);
    scaleBar(P);
  }
}
function interact() {
  if (!quickPending) {
    quickPending = true;
    requestAnimationFrame(() => { quickPending = false; quickFrame(); });
  }
  clearTimeout(settle);
  settle = setTimeout(redraw, 150);
}

function info(P, s) {
  const el = document.getElementById("info");
  if (s < 0) { el.innerHTML = '<span class="muted">no parcel here</span>'; return; }
  const p = P.p, id = p.ids[s], state = D.states[p.state[s]], a = p.area[s];
  const fmt = (v, d) => v.toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d });
  let html = `<b data-parcel="${esc(id)}">${esc(id)}</b> (${esc(P.p.label)})<br>state: <span class="swatch" style="background:${state.colour}"></span>${state.id} ${state.name}`
    + `<br>PBF: ${p.pbf[s] ? "yes (永久基本农田)" : "no"}${p.village[s] ? "<br>village: " + esc(p.village[s]) : ""}`
    + `<br>area: ${fmt(a, 2)} m² = ${fmt(a * 3 / 2000, 4)} mu = ${fmt(a / 10000, 4)} ha<br><span class="method">${esc(D.areaMethod)}</span>`;
  const d = p.deduction ? p.deduction[s] : 0;
  if (d) html += `<br>net: ${fmt(a * (1 - d[0]), 2)} m² = ${fmt(a * (1 - d[0]) * 3 / 2000, 4)} mu (less ${esc(d[1])}: ${fmt(d[0] * 100, 2)} %)`;
  if (p.block[s] >= 0) { const B = P.blocks[p.block[s]]; html += `<br>block ${B.id}: ${fmt(B.mu, 1)} mu, ${B.parcels} parcels ${esc(B.class)}`; }
  if (p.rules[s]) html += `<br><b style="color:#c00">violates: ${p.rules[s].map(esc).join(", ")}</b>`;
  const h = D.history[id] || [];
  html += `<h3>History (${h.length})</h3><table class="history"><tr><th>date</th><th>event</th><th>change</th><th>ref</th><th>by</th></tr>`
    + h.map(e => `<tr title="${esc(e[5])}"><td>${e[0]}</td><td>${e[1]}</td><td>${esc(e[2])}</td><td>${esc(e[3])}</td><td>${esc(e[4])}</td></tr>`).join("") + "</table>";
  el.innerHTML = html;
}

for (const P of panels) {
  const c = P.canvas;
  let drag = null;
  const world = ev => {
    const r = c.getBoundingClientRect();
    return [view.cx + (ev.clientX - r.left - r.width / 2) / view.scale, view.cy - (ev.clientY - r.top - r.height / 2) / view.scale];
  };
  c.addEventListener("wheel", ev => {
    ev.preventDefault();
    const [mx, my] = world(ev), f = Math.exp(-ev.deltaY * 0.0015);
    view.scale *= f; view.cx = mx - (mx - view.cx) / f; view.cy = my - (my - view.cy) / f; interact();
  }, { passive: false });
  c.addEventListener("mousedown", ev => { drag = { x: ev.clientX, y: ev.clientY, cx: view.cx, cy: view.cy, moved: false }; c.style.cursor = "grabbing"; });
  window.addEventListener("mouseup", () => { if (drag) { c.style.cursor = "grab"; setTimeout(() => drag = null, 0); } });
  c.addEventListener("mousemove", ev => {
    if (drag && ev.buttons) {
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      view.cx = drag.cx - dx / view.scale; view.cy = drag.cy + dy / view.scale; interact(); return;
    }
    if (selected === null) { const [mx, my] = world(ev); info(P, hit(P, mx, my)); }
  });
  c.addEventListener("click", ev => {
    if (drag && drag.moved) return;
    const [mx, my] = world(ev), s = hit(P, mx, my);
    selected = s >= 0 ? P.p.ids[s] : null; info(P, s); redraw();
  });
  P.box.querySelectorAll(".zoom button").forEach(btn => btn.addEventListener("click", () => {
    const z = +btn.dataset.z; if (z === 0) fit(); else view.scale *= z; redraw();
  }));
}
window.addEventListener("resize", redraw);

// Legend: states with the number of parcels of each in the (first) panel.
(() => {
  const counts = D.states.map(() => 0);
  for (const s of panels[0].p.state) counts[s]++;
  let html = "<ul>" + D.states.map((s, i) => `<li data-legend="${s.id}"><span class="swatch" style="background:${s.colour}"></span>${s.id} ${s.name} <span class="count">${counts[i]}</span></li>`).join("");
  html += '<li data-legend="pbf"><span class="swatch pbf"></span>permanent basic farmland 永久基本农田</li>';
  html += '<li data-legend="block"><span class="swatch block"></span>contiguous farmland block (label: mu)</li>';
  html += '<li data-legend="violation"><span class="swatch violation"></span>parcel in a violated rule</li>';
  html += layers.map(L => `<li data-legend="${L.id}"><span class="swatch" style="border:2px ${L.id === "urban_boundary" || L.id === "programme_area" ? "dashed" : "solid"} ${L.colour};background:none"></span>${L.label}</li>`).join("");
  document.getElementById("legend").innerHTML = html + `</ul><p class="method">drawn in the ${esc(D.plane)}</p>`;
})();

fit();
// #parcel=ID (a link to a parcel): zoom to it and show its panel.
const wanted = decodeURIComponent((location.hash.match(/^#parcel=(.+)$/) || [])[1] || "");
if (wanted) {
  const P = panels[panels.length - 1], s = P.p.ids.indexOf(wanted);
  if (s >= 0) {
    const b = P.g.box, r = P.canvas.getBoundingClientRect();
    view.cx = (b[4 * s] + b[4 * s + 2]) / 2; view.cy = (b[4 * s + 1] + b[4 * s + 3]) / 2;
    view.scale = 0.25 * Math.min(r.width / Math.max(1, b[4 * s + 2] - b[4 * s]), r.height / Math.max(1, b[4 * s + 3] - b[4 * s + 1]));
    selected = wanted; info(P, s);
  } else {
    document.getElementById("info").textContent = "no parcel " + wanted + " on this map";
  }
}
for (const P of panels) draw(P);
document.body.dataset.ready = "1";
document.body.dataset.loadMs = (performance.now() - started).toFixed(1);
// #bench: the cost of one frame while zooming (the moved and scaled drawing), for Benchmarks/map.sh.
if (location.hash === "#bench") {
  const t = performance.now();
  // Reading a pixel makes the browser finish each frame's drawing inside the measurement.
  for (let i = 0; i < 20; i++) { view.scale *= 1.05; quickFrame(); for (const P of panels) P.ctx.getImageData(0, 0, 1, 1); }
  document.body.dataset.interactionFrameMs = ((performance.now() - t) / 20).toFixed(2);
  for (const P of panels) draw(P);
}
</script>
</body>
</html>
"""#
}

// AlsAnalyzer's topology page: plain JavaScript and SVG, no library, no external resource.
// It reads the HTTP API of the process that serves it (same origin) and keeps the view in
// the URL's hash, so that a view can be bookmarked and shared.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const WINDOWS = { '5m': 5, '15m': 15, '1h': 60 };
  const REFRESH_SECONDS = [0, 10, 30, 60, 300];

  // Kiali's default health thresholds, in percent of the requests in the window.
  // Errors (5xx, no response, failure flags, non-zero gRPC status): degraded above 0.1 %,
  // failure from 10 %. 4xx: degraded from 10 %, failure from 20 %.
  const THRESHOLDS = {
    errors: { degraded: 0.1, failure: 10 },
    client: { degraded: 10, failure: 20 },
  };

  const $ = (id) => document.getElementById(id);
  const state = {
    window: '15m', from: '', to: '', namespace: '', hideIdle: false, refresh: 0, percentile: 'p95',
    node: '', edge: '',
  };
  let data = null; // { topology, from, to, seconds }
  let refreshTimer = 0;
  let view = { x: 0, y: 0, scale: 1 };
  let loadSeq = 0;

  // ---- URL <-> state -------------------------------------------------------------------
  function readHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ''));
    state.window = WINDOWS[p.get('window')] || p.get('window') === 'custom' ? p.get('window') : '15m';
    state.from = p.get('from') || '';
    state.to = p.get('to') || '';
    if (state.window === 'custom' && !(state.from && state.to)) state.window = '15m';
    state.namespace = p.get('namespace') || '';
    state.hideIdle = p.get('hideIdle') === '1';
    // Only the intervals the control offers: a hand-edited URL cannot make the page poll every second.
    const refresh = Number(p.get('refresh'));
    state.refresh = REFRESH_SECONDS.includes(refresh) ? refresh : 0;
    state.percentile = ['p50', 'p95', 'p99'].includes(p.get('latency')) ? p.get('latency') : 'p95';
    state.node = p.get('node') || '';
    state.edge = p.get('edge') || '';
  }

  function writeHash() {
    const p = new URLSearchParams();
    p.set('window', state.window);
    if (state.window === 'custom') { p.set('from', state.from); p.set('to', state.to); }
    if (state.namespace) p.set('namespace', state.namespace);
    if (state.hideIdle) p.set('hideIdle', '1');
    if (state.refresh) p.set('refresh', String(state.refresh));
    if (state.percentile !== 'p95') p.set('latency', state.percentile);
    if (state.node) p.set('node', state.node);
    if (state.edge) p.set('edge', state.edge);
    const hash = '#' + p.toString();
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  function syncControls() {
    $('window').value = state.window;
    $('custom-range').hidden = state.window !== 'custom';
    if (state.window === 'custom') {
      $('from').value = toLocalInput(state.from);
      $('to').value = toLocalInput(state.to);
    }
    $('hide-idle').checked = state.hideIdle;
    $('refresh').value = String(state.refresh);
    $('percentile').value = state.percentile;
    ensureNamespaceOption(state.namespace);
    $('namespace').value = state.namespace;
  }

  function toLocalInput(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function ensureNamespaceOption(ns) {
    if (!ns) return;
    const select = $('namespace');
    if ([...select.options].some((o) => o.value === ns)) return;
    const option = document.createElement('option');
    option.value = option.textContent = ns;
    select.append(option);
  }

  // ---- API -----------------------------------------------------------------------------
  // With an API token set (Security), the page's files are open but the API answers 401: the
  // page then asks for the token, keeps it in this tab's session storage (never in the URL)
  // and sends it as a bearer token. A refused token is dropped and asked for again.
  const TOKEN_KEY = 'als-api-token';

  async function api(path) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch(path, { headers, cache: 'no-store' });
    if (response.status === 401) {
      if (token && sessionStorage.getItem(TOKEN_KEY) === token) sessionStorage.removeItem(TOKEN_KEY);
      askForToken(!!token);
      throw new Error(token ? 'The analyzer refused the API token.' : 'The API requires a token.');
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
    return body;
  }

  function askForToken(refused) {
    const message = $('token-message');
    message.textContent = refused
      ? 'The analyzer refused this token (HTTP 401). Check it and enter it again.'
      : 'This analyzer requires an API token (its Als__ApiToken setting) to show the graph.';
    message.classList.toggle('error', refused);
    const wasHidden = $('token-form').hidden;
    $('token-form').hidden = false;
    if (wasHidden || refused) $('token-value').focus();
  }

  function windowRange() {
    if (state.window === 'custom') return { from: new Date(state.from), to: new Date(state.to) };
    const to = new Date();
    return { from: new Date(to.getTime() - WINDOWS[state.window] * 60000), to };
  }

  function query(extra) {
    const { from, to } = windowRange();
    const p = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), ...extra });
    return p.toString();
  }

  async function load() {
    const seq = ++loadSeq;
    setStatus('Loading…');
    try {
      const extra = state.namespace ? { namespace: state.namespace } : {};
      const [topology, services] = await Promise.all([
        api('api/v1/topology?' + query(extra)),
        api('api/v1/services?' + query({})).catch(() => null),
      ]);
      if (seq !== loadSeq) return;
      const from = new Date(topology.from);
      const to = new Date(topology.to);
      data = { topology, from, to, seconds: Math.max(1, (to - from) / 1000) };
      fillNamespaces(topology, services);
      render();
      const shown = document.querySelectorAll('#viewport .node').length;
      setStatus(`${shown} nodes, ${document.querySelectorAll('#viewport .edge').length} edges, ${fmtTime(from)} – ${fmtTime(to)}`);
      await showSelection();
    } catch (e) {
      if (seq === loadSeq) setStatus(e.message, true);
    }
  }

  function setStatus(text, error) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!error);
  }

  function fillNamespaces(topology, services) {
    const names = new Set();
    for (const n of topology.nodes) if (n.namespace) names.add(n.namespace);
    if (services && services.services) for (const s of services.services) if (s.namespace) names.add(s.namespace);
    [...names].sort().forEach(ensureNamespaceOption);
    $('namespace').value = state.namespace;
  }

  // ---- Figures and health --------------------------------------------------------------
  const isTcp = (e) => e.protocol === 'tcp';
  const calls = (e) => (isTcp(e) ? (e.connections || 0) : (e.requests || 0));

  function errorPercent(f) {
    const n = f.protocol === 'tcp' || f.requests === undefined ? (f.connections || 0) : (f.requests || 0);
    return n > 0 ? (100 * (f.errors || 0)) / n : 0;
  }

  function health(f) {
    const n = f.requests !== undefined && f.requests !== null ? f.requests : (f.connections || 0);
    if (!n) return 'idle';
    const errors = (100 * (f.errors || 0)) / n;
    const c4 = f.statusCodes ? (100 * (f.statusCodes['4xx'] || 0)) / n : 0;
    if (errors >= THRESHOLDS.errors.failure || c4 >= THRESHOLDS.client.failure) return 'failure';
    if (errors > THRESHOLDS.errors.degraded || c4 >= THRESHOLDS.client.degraded) return 'degraded';
    return 'ok';
  }

  const HEALTH_RANK = { idle: 0, ok: 1, degraded: 2, failure: 3 };

  // An edge's figures are the server side's when it reported (the API's top level), but calls
  // that never reached the server (no response, connection failures) are only in the client
  // side's: the edge's health, and the error percentage shown with it, are those of the worse
  // side. side is the side they come from.
  function edgeHealth(e) {
    let worst = { health: health(e), figures: e, side: e.reportedBy };
    for (const side of ['client', 'server']) {
      if (!e[side]) continue;
      const figures = { protocol: e.protocol, ...e[side] };
      const h = health(figures);
      if (HEALTH_RANK[h] > HEALTH_RANK[worst.health]) worst = { health: h, figures, side };
    }
    return worst;
  }

  // The error percentage of an edge's worse side, and that side when it is not the one whose
  // figures the edge shows (else null).
  function edgeErrors(e) {
    const w = edgeHealth(e);
    const pct = fmtPercent(errorPercent(w.figures));
    const side = w.side !== e.reportedBy ? w.side : null;
    return { pct, side, text: `${pct} err` + (side ? ` (${side} side)` : ''), any: (w.figures.errors || 0) > 0 };
  }
  const HEALTH_TEXT = { idle: 'no requests', ok: 'healthy', degraded: 'degraded', failure: 'failing' };

  function fmtRate(perSecond) {
    if (perSecond >= 100) return perSecond.toFixed(0);
    if (perSecond >= 1) return perSecond.toFixed(1);
    if (perSecond > 0 && perSecond < 0.01) return perSecond.toFixed(3);
    return perSecond.toFixed(2);
  }

  function fmtPercent(p) {
    if (p === 0) return '0%';
    if (p < 1) return p.toFixed(2) + '%';
    return p.toFixed(1) + '%';
  }

  function fmtBytes(b) {
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (b >= 1000 && i < units.length - 1) { b /= 1000; i++; }
    return (i === 0 ? b.toFixed(0) : b.toFixed(1)) + ' ' + units[i];
  }

  function fmtMs(ms) {
    if (ms === null || ms === undefined) return '–';
    return ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : (ms >= 10 ? ms.toFixed(0) : ms.toFixed(1)) + ' ms';
  }

  function fmtTime(d) {
    return d.toLocaleString(undefined, { hour12: false });
  }

  function edgeSummary(e) {
    if (isTcp(e)) {
      return `${e.connections || 0} conn · ${fmtBytes((e.bytesSent || 0) + (e.bytesReceived || 0))}`
        + (edgeErrors(e).any ? ` · ${edgeErrors(e).text}` : '');
    }
    const lat = e.latencyMs ? e.latencyMs[state.percentile] : null;
    return `${fmtRate((e.requests || 0) / data.seconds)} rps · ${edgeErrors(e).text} · ${state.percentile} ${fmtMs(lat)}`;
  }

  // The figures drawn on an edge, in two short lines (the gap between layers holds the longer).
  // The side its errors come from, when not the edge's own, is named in its accessible label,
  // the list and the details, not drawn: the drawing keeps its width.
  function edgeLines(e, h) {
    const mark = h === 'failure' ? '✖ ' : h === 'degraded' ? '! ' : '';
    const errors = edgeErrors(e);
    if (isTcp(e)) {
      const bytes = fmtBytes((e.bytesSent || 0) + (e.bytesReceived || 0));
      return [`${mark}${e.connections || 0} conn · ${bytes}` + (errors.any ? ` · ${errors.pct} err` : ''), e.protocol];
    }
    const lat = e.latencyMs ? e.latencyMs[state.percentile] : null;
    return [
      `${mark}${fmtRate((e.requests || 0) / data.seconds)} rps · ${errors.pct} err`,
      `${state.percentile} ${fmtMs(lat)} · ${e.protocol}`,
    ];
  }

  const edgeId = (e) => `${e.source}|${e.target}|${e.protocol}`;

  // ---- Filtering and layout ------------------------------------------------------------
  function visibleGraph() {
    const t = data.topology;
    let edges = t.edges.slice();
    if (state.hideIdle) edges = edges.filter((e) => calls(e) > 0 || (e.bytesSent || 0) + (e.bytesReceived || 0) > 0);
    const used = new Set();
    for (const e of edges) { used.add(e.source); used.add(e.target); }
    let nodes = t.nodes.slice();
    if (state.hideIdle) nodes = nodes.filter((n) => used.has(n.id));
    const ids = new Set(nodes.map((n) => n.id));
    edges = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
    return { nodes, edges };
  }

  // A layered layout: break cycles by DFS, rank each node by its longest path from a root,
  // then order each layer by the barycentre of its neighbours (a few sweeps both ways).
  function layout(nodes, edges) {
    const out = new Map(nodes.map((n) => [n.id, []]));
    const inc = new Map(nodes.map((n) => [n.id, []]));
    for (const e of edges) {
      if (e.source === e.target) continue;
      out.get(e.source).push(e.target);
      inc.get(e.target).push(e.source);
    }
    // Callers from outside first: unknown, gateways, then the rest by id (stable).
    const order = nodes.slice().sort((a, b) => kindOrder(a) - kindOrder(b) || a.id.localeCompare(b.id));
    const color = new Map();
    const dag = new Map(nodes.map((n) => [n.id, []]));
    const visit = (id) => {
      color.set(id, 1);
      for (const t of out.get(id)) {
        if (color.get(t) === 1) continue; // back edge: dropped for ranking
        dag.get(id).push(t);
        if (!color.get(t)) visit(t);
      }
      color.set(id, 2);
    };
    for (const n of order) if (!color.get(n.id) && inc.get(n.id).length === 0) visit(n.id);
    for (const n of order) if (!color.get(n.id)) visit(n.id);
    const rank = new Map();
    // Longest path from a root, by a topological pass over the acyclic remainder.
    const indeg = new Map(nodes.map((n) => [n.id, 0]));
    for (const ts of dag.values()) for (const t of ts) indeg.set(t, indeg.get(t) + 1);
    const queue = order.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
    for (const id of queue) rank.set(id, 0);
    while (queue.length) {
      const id = queue.shift();
      for (const t of dag.get(id)) {
        rank.set(t, Math.max(rank.get(t) || 0, rank.get(id) + 1));
        indeg.set(t, indeg.get(t) - 1);
        if (indeg.get(t) === 0) queue.push(t);
      }
    }
    for (const n of nodes) if (!rank.has(n.id)) rank.set(n.id, 0);

    const layers = [];
    for (const n of order) {
      const r = rank.get(n.id);
      (layers[r] = layers[r] || []).push(n.id);
    }
    for (let r = 0; r < layers.length; r++) layers[r] = layers[r] || [];
    const pos = new Map();
    const index = () => layers.forEach((l) => l.forEach((id, i) => pos.set(id, i)));
    index();
    const bary = (id, neighbours) => {
      const ps = neighbours.get(id).map((x) => pos.get(x)).filter((x) => x !== undefined);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(id);
    };
    for (let sweep = 0; sweep < 6; sweep++) {
      const down = sweep % 2 === 0;
      const seq = down ? layers.slice(1) : layers.slice(0, -1).reverse();
      for (const layer of seq) {
        const keys = new Map(layer.map((id) => [id, bary(id, down ? inc : out)]));
        layer.sort((a, b) => keys.get(a) - keys.get(b));
        layer.forEach((id, i) => pos.set(id, i));
      }
    }
    return place(layers, rank, nodes, edges);
  }

  // Places the ordered layers left to right. A layer taller than the drawing's chosen row count
  // wraps into side-by-side sub-columns (round robin, each a fraction of a row lower, so that the
  // barycentre order still reads top to bottom); the row count is the one that brings the
  // drawing closest to the graph pane's proportions. Column widths come from the measured names,
  // the gaps between layers from the measured figures of the edges drawn there.
  function place(layers, rank, nodes, edges) {
    const dense = edges.length > DENSE_EDGES;
    const boxWidth = new Map(nodes.map((n) => {
      const l = nodeLabels(n);
      return [n.id, Math.max(NODE_MIN_WIDTH, textWidth(l.name, 12) + 8, l.sub ? textWidth(l.sub, 11) + 8 : 0)];
    }));
    const widths = layers.map((l) => Math.max(NODE_MIN_WIDTH, ...l.map((id) => boxWidth.get(id))) + NODE_GAP);
    const gaps = layers.map(() => LAYER_GAP);
    for (const e of edges) {
      const rs = rank.get(e.source);
      const rt = rank.get(e.target);
      const eh = edgeHealth(e).health;
      if (Math.abs(rs - rt) !== 1 || (dense && quiet(eh))) continue;
      const r = Math.min(rs, rt);
      gaps[r] = Math.max(gaps[r], Math.min(MAX_LAYER_GAP, Math.max(...edgeLines(e, eh).map((t) => textWidth(t, 11, 600))) + 16));
    }
    const shapeFor = (rows) => {
      let w = 0;
      let tallest = 1;
      layers.forEach((l, r) => {
        const c = Math.max(1, Math.ceil(l.length / rows));
        w += c * widths[r] + (r < layers.length - 1 ? gaps[r] : 0);
        tallest = Math.max(tallest, Math.ceil(l.length / c));
      });
      return { w, h: tallest * ROW, tallest };
    };
    const maxLayer = Math.max(1, ...layers.map((l) => l.length));
    const pane = graphBox();
    const target = Math.max(0.5, Math.min(4, pane.w / pane.h));
    let rows = maxLayer;
    let best = Infinity;
    for (let R = maxLayer; R >= Math.min(maxLayer, MIN_WRAP_ROWS); R--) {
      const s = shapeFor(R);
      const score = Math.abs(Math.log(s.w / s.h / target));
      if (score < best - 1e-9) { best = score; rows = R; }
    }
    const { tallest } = shapeFor(rows);
    const coords = new Map();
    let x = PAD;
    layers.forEach((l, r) => {
      const c = Math.max(1, Math.ceil(l.length / rows));
      const layerRows = Math.ceil(l.length / c);
      const offset = ((tallest - layerRows) * ROW) / 2;
      l.forEach((id, j) => {
        const col = j % c;
        const row = Math.floor(j / c) + col / c;
        coords.set(id, { x: x + col * widths[r] + widths[r] / 2, y: TOP + offset + row * ROW });
      });
      x += c * widths[r] + (r < layers.length - 1 ? gaps[r] : 0);
    });
    return { coords, width: x + PAD, height: TOP + tallest * ROW, dense };
  }

  // Drawing metrics (SVG user units). A node's box spans about -26..+56 around its centre.
  const ROW = 100;
  const TOP = 64;
  const PAD = 24;
  const NODE_MIN_WIDTH = 56;
  const NODE_GAP = 28;
  const LAYER_GAP = 110;
  const MAX_LAYER_GAP = 320;
  const MIN_WRAP_ROWS = 8;
  // Past this many edges, only the figures of degraded and failing edges stay drawn; a healthy
  // edge's figures show when it is hovered, focused or selected (and are always in its label).
  const DENSE_EDGES = 60;
  // The initial zoom never goes below this: node names stay above 9 px on screen (12 px drawn),
  // and a larger graph scrolls instead.
  const MIN_FIT_SCALE = 0.76;
  const MAX_FIT_SCALE = 1.4;

  const quiet = (h) => h === 'ok' || h === 'idle';

  let fontFamily = '';
  let measureContext = null;
  function textWidth(text, px, weight) {
    if (!measureContext) {
      measureContext = document.createElement('canvas').getContext('2d');
      fontFamily = getComputedStyle(document.documentElement).fontFamily || 'sans-serif';
    }
    if (!measureContext) return text.length * px * 0.62;
    measureContext.font = `${weight || 400} ${px}px ${fontFamily}`;
    return measureContext.measureText(text).width;
  }

  function nodeLabels(n) {
    let sub = '';
    if (n.namespace) sub = n.kind === 'gateway' ? `${n.namespace} · gateway` : n.namespace;
    else if (n.kind !== 'service') sub = n.kind;
    return { name: n.name, sub };
  }

  function kindOrder(n) {
    return { unknown: 0, gateway: 1, service: 2, external: 3 }[n.kind] ?? 2;
  }

  // ---- Rendering -----------------------------------------------------------------------
  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.append(e);
    return e;
  }

  function nodeFigures(id, edges) {
    const inbound = edges.filter((e) => e.target === id && !isTcp(e));
    const requests = inbound.reduce((a, e) => a + (e.requests || 0), 0);
    const errors = inbound.reduce((a, e) => a + (e.errors || 0), 0);
    const c4 = inbound.reduce((a, e) => a + ((e.statusCodes && e.statusCodes['4xx']) || 0), 0);
    const tcp = edges.filter((e) => e.target === id && isTcp(e));
    const connections = tcp.reduce((a, e) => a + (e.connections || 0), 0);
    const tcpErrors = tcp.reduce((a, e) => a + (e.errors || 0), 0);
    let h = health({ requests, errors, statusCodes: { '4xx': c4 } });
    const th = health({ protocol: 'tcp', connections, errors: tcpErrors });
    if (HEALTH_RANK[th] > HEALTH_RANK[h]) h = th;
    // As the callers saw it: calls that never reached the node are in the client side only.
    const seen = inbound.filter((e) => e.client);
    const callerRequests = seen.reduce((a, e) => a + (e.client.requests || 0), 0);
    const callerErrors = seen.reduce((a, e) => a + (e.client.errors || 0), 0);
    const ch = health({ requests: callerRequests, errors: callerErrors, statusCodes: { '4xx': seen.reduce((a, e) => a + ((e.client.statusCodes && e.client.statusCodes['4xx']) || 0), 0) } });
    const callers = HEALTH_RANK[ch] > HEALTH_RANK[h] ? { requests: callerRequests, errors: callerErrors } : null;
    if (callers) h = ch;
    return { requests, errors, connections, callers, health: h };
  }

  function render() {
    showTruncation();
    const { nodes, edges } = visibleGraph();
    const { coords, width, height, dense } = layout(nodes, edges);
    const svg = $('graph');
    const vp = $('viewport');
    vp.replaceChildren();
    svg.setAttribute('data-width', String(width));
    svg.setAttribute('data-height', String(height));
    const edgeLayer = el('g', { class: 'edges' }, vp);
    const nodeLayer = el('g', { class: 'nodes' }, vp);
    // Edge figures above every line and node, so that no line crosses a label.
    const labelLayer = el('g', { class: 'edge-labels' }, vp);

    // Parallel edges (the same pair, several protocols, or both directions) fan out.
    const pairCount = new Map();
    const pairKey = (e) => [e.source, e.target].sort().join('\u0000');
    for (const e of edges) pairCount.set(pairKey(e), (pairCount.get(pairKey(e)) || 0) + 1);
    const pairSeen = new Map();

    const edgeRows = [];
    for (const e of edges) {
      const a = coords.get(e.source);
      const b = coords.get(e.target);
      if (!a || !b) continue;
      const h = edgeHealth(e).health;
      const key = pairKey(e);
      const k = pairSeen.get(key) || 0;
      pairSeen.set(key, k + 1);
      const n = pairCount.get(key);
      const bend = (k - (n - 1) / 2) * 72 + (e.source > e.target && n > 1 ? 36 : 0);
      const g = el('g', {
        class: `edge health-${h} proto-${e.protocol}`,
        tabindex: '0',
        role: 'button',
        'data-source': e.source,
        'data-target': e.target,
        'data-protocol': e.protocol,
        'data-health': h,
        'aria-label': `Edge ${e.source} to ${e.target}, ${e.protocol}, ${edgeSummary(e)}, ${HEALTH_TEXT[h]}`,
      }, edgeLayer);
      const d = edgePath(a, b, bend, e.source === e.target);
      el('path', { class: 'hit', d: d.path }, g);
      el('path', { class: 'line', d: d.path, 'marker-end': `url(#arrow-${h})` }, g);
      // The figures belong to the edge's group (for screen readers and tests) but are drawn in
      // the label layer: a <use> of the text would not be read, so the group is split in two.
      const labels = el('g', {
        class: `edge-label health-${h} proto-${e.protocol}` + (dense && quiet(h) ? ' quiet' : ''),
        'data-source': e.source,
        'data-target': e.target,
        'data-protocol': e.protocol,
        'aria-hidden': 'true',
      }, labelLayer);
      const [line1, line2] = edgeLines(e, h);
      const label = el('text', { x: d.lx, y: d.ly - 4, 'text-anchor': 'middle', class: 'figures' }, g);
      label.textContent = line1;
      const proto = el('text', { x: d.lx, y: d.ly + 10, 'text-anchor': 'middle', class: 'proto' }, g);
      proto.textContent = line2;
      labels.append(label.cloneNode(true), proto.cloneNode(true));
      label.classList.add('shadowed');
      proto.classList.add('shadowed');
      bindSelect(g, () => select({ edge: edgeId(e) }));
      bindSelect(labels, () => select({ edge: edgeId(e) }));
      // A quiet label shows while its edge is hovered or focused.
      const lit = (on) => () => labels.classList.toggle('lit', on);
      g.addEventListener('pointerenter', lit(true));
      g.addEventListener('pointerleave', lit(false));
      g.addEventListener('focus', lit(true));
      g.addEventListener('blur', lit(false));
      edgeRows.push({ e, h });
    }

    const nodeRows = [];
    for (const n of nodes) {
      const c = coords.get(n.id);
      const f = nodeFigures(n.id, edges);
      const g = el('g', {
        class: `node kind-${n.kind} health-${f.health}`,
        tabindex: '0',
        role: 'button',
        transform: `translate(${c.x},${c.y})`,
        'data-id': n.id,
        'data-kind': n.kind,
        'data-health': f.health,
        'aria-label': `Node ${n.id}, ${n.kind}, ${nodeFigureText(f)}, ${HEALTH_TEXT[f.health]}`,
      }, nodeLayer);
      const texts = nodeLabels(n);
      shape(n.kind, g);
      if (f.health === 'failure' || f.health === 'degraded') {
        const badge = el('text', { x: 0, y: 5, 'text-anchor': 'middle', class: 'badge' }, g);
        badge.textContent = f.health === 'failure' ? '✖' : '!';
      }
      const name = el('text', { x: 0, y: 38, 'text-anchor': 'middle', class: 'name' }, g);
      name.textContent = texts.name;
      if (texts.sub) {
        const sub = el('text', { x: 0, y: 52, 'text-anchor': 'middle', class: 'ns' }, g);
        sub.textContent = texts.sub;
      }
      bindSelect(g, () => select({ node: n.id }));
      nodeRows.push({ n, f });
    }

    renderLists(edgeRows, nodeRows);
    fit(width, height);
    markSelection();
  }

  function nodeFigureText(f) {
    const parts = [];
    if (f.requests) parts.push(`${fmtRate(f.requests / data.seconds)} rps in, ${fmtPercent((100 * f.errors) / f.requests)} errors`);
    if (f.callers) parts.push(`${fmtPercent((100 * f.callers.errors) / f.callers.requests)} errors as its callers saw them`);
    if (f.connections) parts.push(`${f.connections} TCP connections in`);
    return parts.length ? parts.join(', ') : 'no inbound requests';
  }

  function shape(kind, g) {
    switch (kind) {
      case 'gateway': el('path', { class: 'shape', d: 'M0,-24 L24,0 L0,24 L-24,0 Z' }, g); break;
      case 'external': el('path', { class: 'shape', d: 'M-22,-13 L0,-25 L22,-13 L22,13 L0,25 L-22,13 Z' }, g); break;
      case 'unknown': el('rect', { class: 'shape', x: -20, y: -20, width: 40, height: 40, rx: 6 }, g); break;
      default: el('circle', { class: 'shape', r: 22 }, g);
    }
  }

  function edgePath(a, b, bend, self) {
    if (self) {
      const path = `M${a.x - 10},${a.y - 22} C${a.x - 50},${a.y - 90} ${a.x + 50},${a.y - 90} ${a.x + 10},${a.y - 22}`;
      return { path, lx: a.x, ly: a.y - 74 };
    }
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.max(1, Math.hypot(dx, dy));
    const ux = dx / len;
    const uy = dy / len;
    const r = 28;
    const sx = a.x + ux * r;
    const sy = a.y + uy * r;
    const tx = b.x - ux * r;
    const ty = b.y - uy * r;
    const mx = (sx + tx) / 2 - uy * bend;
    const my = (sy + ty) / 2 + ux * bend;
    // The label sits on the curve's midpoint (a quadratic through the control point).
    return { path: `M${sx},${sy} Q${mx},${my} ${tx},${ty}`, lx: (sx + 2 * mx + tx) / 4, ly: (sy + 2 * my + ty) / 4 };
  }

  function bindSelect(g, action) {
    g.addEventListener('click', (ev) => { ev.stopPropagation(); action(); });
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); action(); }
    });
  }

  function renderLists(edgeRows, nodeRows) {
    const eb = $('edge-list').tBodies[0];
    eb.replaceChildren();
    for (const { e, h } of edgeRows) {
      const tr = document.createElement('tr');
      tr.className = `health-${h}`;
      tr.dataset.edge = edgeId(e);
      const rate = isTcp(e) ? `${e.connections || 0} conn, ${fmtBytes((e.bytesSent || 0) + (e.bytesReceived || 0))}` : `${fmtRate((e.requests || 0) / data.seconds)} rps`;
      const lat = !isTcp(e) && e.latencyMs ? `${state.percentile} ${fmtMs(e.latencyMs[state.percentile])}` : '–';
      tr.append(
        cellButton(e.source, () => select({ edge: edgeId(e) })),
        cell(e.target), cell(e.protocol), cell(rate, 'num'), cell(edgeErrors(e).text.replace(/ err/, ''), 'num'), cell(lat, 'num'), cell(HEALTH_TEXT[h], 'health'));
      eb.append(tr);
    }
    const nb = $('node-list').tBodies[0];
    nb.replaceChildren();
    for (const { n, f } of nodeRows) {
      const tr = document.createElement('tr');
      tr.className = `health-${f.health}`;
      tr.dataset.node = n.id;
      tr.append(
        cellButton(n.id, () => select({ node: n.id })),
        cell(n.kind),
        cell(f.requests ? `${fmtRate(f.requests / data.seconds)} rps` : (f.connections ? `${f.connections} conn` : '–'), 'num'),
        cell(f.requests ? fmtPercent((100 * f.errors) / f.requests) : '–', 'num'),
        cell(HEALTH_TEXT[f.health], 'health'));
      nb.append(tr);
    }
  }

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function cellButton(text, action) {
    const td = document.createElement('td');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.textContent = text;
    b.addEventListener('click', action);
    td.append(b);
    return td;
  }

  // ---- Pan and zoom --------------------------------------------------------------------
  // The SVG is sized to the drawing at the current zoom, inside a scrolling box: a graph larger
  // than the pane scrolls (scroll bars, drag, and focus moving to a node off screen) instead of
  // shrinking its names below reading size.
  let drawing = { width: 0, height: 0 };

  // The pane's size, read once (reading it forces a layout of the whole page, which costs more
  // than drawing a large graph) and again after the window is resized.
  let pane = null;
  function graphBox() {
    if (!pane) {
      const box = $('graph-scroll');
      pane = { w: box.clientWidth || 800, h: box.clientHeight || 600 };
    }
    return pane;
  }

  // Fits a drawing of a new size to the pane; a refresh that keeps the size keeps the zoom and
  // the scroll position.
  function fit(width, height) {
    if (drawing.width === width && drawing.height === height) { applyView(); return; }
    drawing = { width, height };
    const { w, h } = graphBox();
    const scale = Math.min(w / Math.max(width, 1), h / Math.max(height, 1));
    view.scale = Math.min(MAX_FIT_SCALE, Math.max(MIN_FIT_SCALE, scale));
    applyView();
    // Layers are centred vertically: a drawing taller than the pane opens on its middle band,
    // where the callers from outside the mesh are.
    $('graph-scroll').scrollTo(0, Math.max(0, (drawing.height * view.scale - h) / 2));
  }

  function applyView() {
    const { w, h } = graphBox();
    const cw = drawing.width * view.scale;
    const ch = drawing.height * view.scale;
    const svg = $('graph');
    svg.setAttribute('width', String(Math.max(w, Math.ceil(cw))));
    svg.setAttribute('height', String(Math.max(h, Math.ceil(ch))));
    view.x = Math.max(0, (w - cw) / 2);
    view.y = Math.max(0, (h - ch) / 2);
    $('viewport').setAttribute('transform', `translate(${view.x},${view.y}) scale(${view.scale})`);
  }

  function bindPanZoom() {
    const svg = $('graph');
    const box = $('graph-scroll');
    let drag = null;
    svg.addEventListener('pointerdown', (ev) => {
      if (ev.target.closest('.node, .edge, .edge-label')) return;
      drag = { x: ev.clientX, y: ev.clientY, left: box.scrollLeft, top: box.scrollTop };
      svg.classList.add('panning');
      svg.setPointerCapture(ev.pointerId);
    });
    svg.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      box.scrollLeft = drag.left - (ev.clientX - drag.x);
      box.scrollTop = drag.top - (ev.clientY - drag.y);
    });
    const end = () => { drag = null; svg.classList.remove('panning'); };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = box.getBoundingClientRect();
      const px = ev.clientX - r.left;
      const py = ev.clientY - r.top;
      // The drawing's point under the pointer stays under it.
      const cx = (box.scrollLeft + px - view.x) / view.scale;
      const cy = (box.scrollTop + py - view.y) / view.scale;
      view.scale = Math.min(4, Math.max(0.1, view.scale * Math.exp(-ev.deltaY * 0.0015)));
      applyView();
      box.scrollLeft = cx * view.scale + view.x - px;
      box.scrollTop = cy * view.scale + view.y - py;
    }, { passive: false });
    window.addEventListener('resize', () => { pane = null; if (drawing.width) applyView(); });
  }

  // ---- Selection and details -----------------------------------------------------------
  function select(sel) {
    state.node = sel.node || '';
    state.edge = sel.edge || '';
    writeHash();
    markSelection();
    // Focus follows the details only if they are still what was chosen: a slow answer must not
    // take the focus from wherever the user went meanwhile (Escape, another node).
    const chosen = `${state.node}|${state.edge}`;
    showSelection().then(() => { if (`${state.node}|${state.edge}` === chosen) $('details').focus(); });
  }

  function markSelection() {
    document.querySelectorAll('#viewport .selected').forEach((x) => x.classList.remove('selected'));
    if (state.node) {
      const n = [...document.querySelectorAll('#viewport .node')].find((x) => x.dataset.id === state.node);
      if (n) n.classList.add('selected');
    }
    if (state.edge) {
      const e = [...document.querySelectorAll('#viewport .edge')].find((x) => `${x.dataset.source}|${x.dataset.target}|${x.dataset.protocol}` === state.edge);
      if (e) e.classList.add('selected');
      const l = [...document.querySelectorAll('#viewport .edge-label')].find((x) => `${x.dataset.source}|${x.dataset.target}|${x.dataset.protocol}` === state.edge);
      if (l) l.classList.add('selected');
    }
  }

  async function showSelection() {
    const panel = $('details');
    if (!data) return;
    if (state.edge) {
      const e = data.topology.edges.find((x) => edgeId(x) === state.edge);
      if (!e) { panel.replaceChildren(para(`The edge ${state.edge.replaceAll('|', ' → ')} carried nothing in this window.`)); return; }
      await showEdge(e, panel);
    } else if (state.node) {
      const n = data.topology.nodes.find((x) => x.id === state.node);
      if (!n) { panel.replaceChildren(para(`${state.node} is not in this window's graph.`)); return; }
      await showNode(n, panel);
    } else {
      panel.replaceChildren(para('Select a node or an edge to see its figures.', 'empty'));
    }
  }

  function para(text, cls) {
    const p = document.createElement('p');
    p.textContent = text;
    if (cls) p.className = cls;
    return p;
  }

  function h(tag, text, attrs) {
    const x = document.createElement(tag);
    if (text !== undefined && text !== null) x.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) x.setAttribute(k, v);
    return x;
  }

  function dl(pairs) {
    const list = document.createElement('dl');
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === '') continue;
      list.append(h('dt', k), h('dd', String(v)));
    }
    return list;
  }

  function table(caption, headers, rows, id) {
    const t = document.createElement('table');
    if (id) t.id = id;
    t.append(h('caption', caption));
    const thead = document.createElement('thead');
    const tr = document.createElement('tr');
    headers.forEach((x) => tr.append(h('th', x, { scope: 'col' })));
    thead.append(tr);
    const tbody = document.createElement('tbody');
    for (const r of rows) {
      const row = document.createElement('tr');
      r.forEach((c) => (c instanceof Node ? row.append(wrapCell(c)) : row.append(h('td', c === null || c === undefined ? '–' : String(c)))));
      tbody.append(row);
    }
    t.append(thead, tbody);
    return t;
  }

  function wrapCell(node) {
    const td = document.createElement('td');
    td.append(node);
    return td;
  }

  function sideFigures(f) {
    if (!f) return null;
    const n = f.requests !== undefined ? f.requests : f.connections;
    return {
      calls: n,
      rate: n !== undefined ? fmtRate(n / data.seconds) + (f.requests !== undefined ? ' rps' : ' conn/s') : '–',
      errors: f.errors,
      errorPct: fmtPercent(errorPercent(f)),
      latency: f.latencyMs ? `${fmtMs(f.latencyMs.p50)} / ${fmtMs(f.latencyMs.p95)} / ${fmtMs(f.latencyMs.p99)}` : '–',
      codes: f.statusCodes ? Object.entries(f.statusCodes).filter(([, v]) => v).map(([k, v]) => `${k === '0' ? 'no response' : k}: ${v}`).join(', ') || '–' : '–',
      flags: f.responseFlags ? Object.entries(f.responseFlags).map(([k, v]) => `${k}: ${v}`).join(', ') : '–',
      mtls: f.mtls === null || f.mtls === undefined ? '–' : fmtPercent(100 * f.mtls),
      bytes: `${fmtBytes(f.bytesSent || 0)} sent, ${fmtBytes(f.bytesReceived || 0)} received`,
    };
  }

  async function showEdge(e, panel) {
    const hh = edgeHealth(e).health;
    const parts = [
      h('h2', `${e.source} → ${e.target}`),
      dl([
        ['protocol', e.protocol],
        ['health', HEALTH_TEXT[hh]],
        ['figures', edgeSummary(e)],
        ['reported by', e.reportedBy],
        ['window', `${fmtTime(data.from)} – ${fmtTime(data.to)}`],
      ]),
    ];
    const c = sideFigures(e.client);
    const s = sideFigures(e.server);
    const col = (x, k) => (x ? x[k] : 'not reported');
    parts.push(table('Client side vs server side', ['', 'client', 'server'], [
      [isTcp(e) ? 'connections' : 'requests', col(c, 'calls'), col(s, 'calls')],
      ['rate', col(c, 'rate'), col(s, 'rate')],
      ['errors', col(c, 'errors'), col(s, 'errors')],
      ['error %', col(c, 'errorPct'), col(s, 'errorPct')],
      ['latency p50 / p95 / p99', col(c, 'latency'), col(s, 'latency')],
      ['status classes', col(c, 'codes'), col(s, 'codes')],
      ['response flags', col(c, 'flags'), col(s, 'flags')],
      ['mTLS', col(c, 'mtls'), col(s, 'mtls')],
      ['bytes', col(c, 'bytes'), col(s, 'bytes')],
    ], 'sides'));
    if (e.upstreamCluster) {
      const u = e.upstreamCluster;
      parts.push(h('h3', 'Upstream cluster (proxy metrics)'), dl(Object.entries(u).filter(([, v]) => typeof v !== 'object')));
    }
    const samplesHeading = h('h3', 'Samples: failing and slowest calls');
    const samplesBox = h('div', null, { id: 'samples-box' });
    samplesBox.append(para('Loading samples…'));
    parts.push(samplesHeading, samplesBox);
    panel.replaceChildren(...parts);
    try {
      const res = await api('api/v1/samples?' + query({ source: e.source, target: e.target }));
      const list = res.samples.filter((x) => x.protocol === e.protocol);
      if (!list.length) { samplesBox.replaceChildren(para('No failing or slow call was kept for this edge in this window.')); return; }
      const rows = list.map((x) => {
        const kinds = document.createElement('span');
        x.kinds.forEach((k) => kinds.append(h('span', k, { class: `tag ${k}` })));
        const id = h('span', x.requestId || '–', { class: 'mono' });
        return [
          new Date(x.time).toLocaleTimeString(undefined, { hour12: false }), kinds, x.reporter,
          x.protocol === 'tcp' ? 'tcp' : `${x.method || ''} ${x.path || ''}`.trim(),
          x.status === null ? '–' : (x.status === 0 ? 'no response' : x.status),
          x.grpcStatus, x.responseFlags.join(',') || '–', x.responseCodeDetails, fmtMs(x.latencyMs), x.upstreamHost, id,
        ];
      });
      samplesBox.replaceChildren(table(`${list.length} calls kept`, ['time', 'kind', 'side', 'request', 'status', 'gRPC', 'flags', 'details', 'latency', 'upstream host', 'request id'], rows, 'samples'));
    } catch (err) {
      samplesBox.replaceChildren(para(err.message));
    }
  }

  async function showNode(n, panel) {
    const edges = data.topology.edges;
    const inbound = edges.filter((e) => e.target === n.id);
    const outbound = edges.filter((e) => e.source === n.id);
    const f = nodeFigures(n.id, edges);
    const edgeRow = (e, other) => [cellLink(other, e), e.protocol, isTcp(e) ? `${e.connections || 0} conn` : `${fmtRate((e.requests || 0) / data.seconds)} rps`, edgeErrors(e).text.replace(/ err/, ''), isTcp(e) ? '–' : fmtMs(e.latencyMs && e.latencyMs[state.percentile])];
    const parts = [
      h('h2', n.id),
      dl([['kind', n.kind], ['namespace', n.namespace], ['health', HEALTH_TEXT[f.health]], ['inbound', nodeFigureText(f)]]),
      table('Inbound', ['from', 'protocol', 'rate', 'errors', state.percentile], inbound.map((e) => edgeRow(e, e.source)), 'inbound'),
      table('Outbound', ['to', 'protocol', 'rate', 'errors', state.percentile], outbound.map((e) => edgeRow(e, e.target)), 'outbound'),
    ];
    panel.replaceChildren(...parts);
    if (n.kind !== 'service' && n.kind !== 'gateway') return;
    try {
      const s = await api(`api/v1/services/${encodeURIComponent(n.namespace)}/${encodeURIComponent(n.name)}?` + query({}));
      const instances = (s.instances || []).map((i) => [i.instance || i.name || i.pod, i.inbound ?? i.served ?? i.requests, i.outbound ?? i.made, i.inboundErrors ?? i.errors]);
      panel.append(table('Instances', ['instance', 'served', 'made', 'errors'], instances, 'instances'));
      const endpoints = (s.endpoints || []).map((p) => {
        const top = p.server || p.client || p;
        return [p.endpoint || p.name, p.protocol, top.requests, fmtPercent(errorPercent(top)), fmtMs(top.latencyMs && top.latencyMs[state.percentile])];
      });
      panel.append(table('Endpoints', ['endpoint', 'protocol', 'requests', 'errors', state.percentile], endpoints, 'endpoints'));
    } catch (err) {
      panel.append(para(err.message));
    }
  }

  function cellLink(text, e) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.textContent = text;
    b.addEventListener('click', () => select({ edge: edgeId(e) }));
    return b;
  }

  // ---- Controls ------------------------------------------------------------------------
  function scheduleRefresh() {
    clearInterval(refreshTimer);
    if (state.refresh > 0) refreshTimer = setInterval(load, state.refresh * 1000);
  }

  function bindControls() {
    $('window').addEventListener('change', () => {
      state.window = $('window').value;
      if (state.window === 'custom') {
        const { from, to } = { from: new Date(Date.now() - 3600000), to: new Date() };
        state.from = state.from || from.toISOString();
        state.to = state.to || to.toISOString();
      }
      syncControls();
      writeHash();
      load();
    });
    const custom = () => {
      const from = new Date($('from').value);
      const to = new Date($('to').value);
      if (isNaN(from) || isNaN(to) || from >= to) { setStatus('Custom window: "from" must be before "to".', true); return; }
      state.from = from.toISOString();
      state.to = to.toISOString();
      writeHash();
      load();
    };
    $('from').addEventListener('change', custom);
    $('to').addEventListener('change', custom);
    $('namespace').addEventListener('change', () => { state.namespace = $('namespace').value; writeHash(); load(); });
    $('percentile').addEventListener('change', () => { state.percentile = $('percentile').value; writeHash(); render(); showSelection(); });
    $('hide-idle').addEventListener('change', () => { state.hideIdle = $('hide-idle').checked; writeHash(); render(); });
    $('refresh').addEventListener('change', () => { state.refresh = Number($('refresh').value); writeHash(); scheduleRefresh(); });
    $('reload').addEventListener('click', load);
    $('token').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const token = $('token-value').value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token-value').value = '';
      $('token-form').hidden = true;
      load();
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && (state.node || state.edge)) select({});
    });
    // A hash typed or pasted in the address bar: the URL is then rewritten to the view it gave.
    window.addEventListener('hashchange', () => { readHash(); syncControls(); writeHash(); scheduleRefresh(); load(); });
    $('graph').addEventListener('click', () => { if (state.node || state.edge) select({}); });
  }

  function showTruncation() {
    const banner = $('truncated');
    const t = data && data.topology.truncated === true;
    banner.hidden = !t;
    const o = t ? data.topology.omitted : null;
    const left = o
      ? ` Left out: ${o.nodes || 0} nodes and ${o.edges || 0} edges, carrying ${fmtPercent(100 * (o.trafficShare || 0))} of the calls.`
      : '';
    banner.textContent = t
      ? `The API truncated this graph (too many nodes or edges for one answer): the busiest are shown.${left} Narrow the namespace or the window.`
      : '';
  }

  readHash();
  syncControls();
  bindControls();
  bindPanZoom();
  writeHash();
  scheduleRefresh();
  load();
})();

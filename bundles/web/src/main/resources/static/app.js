// Swarmlet web console: a live view of the cluster fed by /api/v1/events, a services page, a service page
// with its task history and logs, and the actions of the control API (openapi.yaml is the contract).
// Vanilla ES2020, no build step, no network beyond this manager.
'use strict';

const TOKEN_KEY = 'swarmlet.webToken';
const LINGER_MS = 10000;       // a task that stops while watched stays visible this long, then goes to history
const MAX_LOG_LINES = 2000;
// Task states in their order (SwarmKit's), to compare as the server does.
const ORDER = ['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running',
  'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'];
const RUNNING = ORDER.indexOf('running');
const TONE = {
  running: 'ok',
  new: 'wait', pending: 'wait', assigned: 'wait', accepted: 'wait', preparing: 'wait', ready: 'wait', starting: 'wait',
  failed: 'bad', rejected: 'bad', orphaned: 'bad',
  complete: 'done', shutdown: 'done', remove: 'done',
};

const state = {
  loaded: false,
  nodes: new Map(),
  services: new Map(),
  tasks: new Map(),
  cluster: null,
};
const ended = new Map();  // task ID -> when this page saw it stop
let route = { page: 'cluster' };
let filter = { stack: '', service: '', node: '' };

// ---- small helpers ----

const $ = (sel) => document.querySelector(sel);

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function age(ms) {
  if (!ms) return '';
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}

function ageSpan(ms) {
  return h('span', { class: 'age', 'data-since': ms || '', title: ms ? new Date(ms).toLocaleString() : '' }, age(ms));
}

function shortImage(image) {
  return (image || '').replace(/@sha256:[0-9a-f]+$/, '');
}

function shortId(id) {
  return (id || '').slice(0, 12);
}

function tone(s) {
  return TONE[s] || 'wait';
}

function serviceColor(name) {
  let hash = 0;
  for (const ch of name || '') hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360}, 55%, 45%)`;
}

function byText(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rank(taskState) {
  const i = ORDER.indexOf(taskState);
  return i < 0 ? RUNNING : i;
}

/** Shown on the cluster view: wanted running or not finished yet (the rule of GET /api/v1/tasks without all). */
function isLive(t) {
  return rank(t.desiredState) <= RUNNING || rank(t.state) <= RUNNING;
}

function isVisible(t, now) {
  if (isLive(t)) return true;
  const at = ended.get(t.id);
  return at !== undefined && now - at < LINGER_MS;
}

function taskLabel(t) {
  return (t.serviceName || shortId(t.serviceId)) + (t.slot ? '.' + t.slot : '');
}

function hostname(nodeId) {
  const n = state.nodes.get(nodeId);
  return n ? n.hostname : shortId(nodeId);
}

function matchesFilter(t) {
  return (!filter.stack || t.stack === filter.stack)
    && (!filter.service || t.serviceName === filter.service)
    && (!filter.node || t.nodeId === filter.node);
}

function findService(idOrName) {
  if (state.services.has(idOrName)) return state.services.get(idOrName);
  const all = [...state.services.values()];
  return all.find((s) => s.name === idOrName)
    || (all.filter((s) => s.id.startsWith(idOrName)).length === 1 ? all.find((s) => s.id.startsWith(idOrName)) : undefined);
}

// ---- messages ----

let noticeTimer = 0;

function showError(message, status) {
  const box = $('#error');
  $('#error-text').textContent = message;
  box.dataset.status = status ? String(status) : '';
  box.hidden = false;
}

function clearError() {
  const box = $('#error');
  box.hidden = true;
  $('#error-text').textContent = '';
  box.dataset.status = '';
}

function showNotice(message) {
  const box = $('#notice');
  box.textContent = message;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, 5000);
}

// ---- token and actions ----

function token() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
}

function renderTokenState() {
  const has = token() !== '';
  $('#token-state').textContent = has ? 'token saved' : 'read-only (no token)';
  $('#token-form').dataset.token = has ? 'set' : 'none';
  $('#token-clear').hidden = !has;
}

/** Calls the API with the saved token; shows the server's message on failure and returns null. */
async function act(method, path, body, done) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    showError('The manager cannot be reached (' + e.message + '); check that it runs and try again.');
    return null;
  }
  if (!res.ok) {
    let message = '';
    try { message = (await res.json()).message || ''; } catch (e) { /* not JSON */ }
    showError(message || `The request failed with HTTP ${res.status}.`, res.status);
    return null;
  }
  clearError();
  if (done) showNotice(done);
  if (res.status === 204) return {};
  try { return await res.json(); } catch (e) { return {}; }
}

async function scaleService(svc) {
  const raw = $('#scale-input').value.trim();
  const replicas = Number(raw);
  if (raw === '' || !Number.isInteger(replicas) || replicas < 0) {
    showError('Replicas must be a whole number, 0 or more.');
    return;
  }
  if (!window.confirm(`Scale ${svc.name} to ${replicas} replica${replicas === 1 ? '' : 's'}?`)) return;
  const updated = await act('POST', `/api/v1/services/${encodeURIComponent(svc.id)}/scale`, { replicas },
    `${svc.name} scaled to ${replicas}.`);
  if (updated) scaleDirty = false;
}

async function rollbackService(svc) {
  if (!window.confirm(`Roll ${svc.name} back to its previous spec?`)) return;
  await act('POST', `/api/v1/services/${encodeURIComponent(svc.id)}/rollback`, {}, `${svc.name} is rolling back.`);
}

async function removeService(svc) {
  if (!window.confirm(`Remove service ${svc.name}? Its tasks are stopped.`)) return;
  const ok = await act('DELETE', `/api/v1/services/${encodeURIComponent(svc.id)}`, undefined, `${svc.name} removed.`);
  if (ok) location.hash = hashFor('/services', filter);
}

const AVAILABILITY_WORDS = {
  drain: 'Drain node %s? Its tasks move to other nodes.',
  pause: 'Pause node %s? It keeps its tasks but gets no new ones.',
  active: 'Activate node %s? It gets tasks again.',
};

async function setAvailability(nodeId, availability) {
  const name = hostname(nodeId);
  if (!window.confirm(AVAILABILITY_WORDS[availability].replace('%s', name))) return;
  await act('POST', `/api/v1/nodes/${encodeURIComponent(nodeId)}/availability`, { availability },
    `${name} is now ${availability}.`);
}

// ---- live state from the event stream ----

let source = null;
let renderPending = false;

function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => { renderPending = false; render(); }, 30);
}

function noteTask(t) {
  const old = state.tasks.get(t.id);
  if (old && isLive(old) && !isLive(t)) {
    ended.set(t.id, Date.now());
    setTimeout(scheduleRender, LINGER_MS + 50);
  }
}

function applySnapshot(data) {
  const tasks = new Map();
  for (const t of data.tasks || []) {
    if (state.loaded) noteTask(t);
    tasks.set(t.id, t);
  }
  state.nodes = new Map((data.nodes || []).map((n) => [n.id, n]));
  state.services = new Map((data.services || []).map((s) => [s.id, s]));
  state.tasks = tasks;
  state.loaded = true;
  loadCluster();
  scheduleRender();
}

function applyChange(c) {
  const maps = { node: state.nodes, service: state.services, task: state.tasks };
  const map = maps[c.kind];
  if (!map) return;
  if (c.action === 'delete') {
    map.delete(c.id);
    ended.delete(c.id);
  } else if (c.object) {
    if (c.kind === 'task') noteTask(c.object);
    map.set(c.object.id || c.id, c.object);
  }
  scheduleRender();
}

function setConnection(s) {
  const el = $('#connection');
  el.dataset.state = s;
  el.textContent = s;
  $('#banner').hidden = s === 'live' || s === 'connecting';
}

function connect() {
  source = new EventSource('/api/v1/events');
  source.onopen = () => setConnection('live');
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      // The server answered with an error; EventSource gives up, so retry ourselves.
      setConnection('offline');
      setTimeout(connect, 3000);
    } else {
      setConnection('reconnecting');
    }
  };
  source.addEventListener('snapshot', (e) => {
    try { applySnapshot(JSON.parse(e.data)); } catch (err) { console.warn('bad snapshot', err); }
  });
  source.addEventListener('change', (e) => {
    try { applyChange(JSON.parse(e.data)); } catch (err) { console.warn('bad change', err); }
  });
}

async function loadCluster() {
  try {
    const res = await fetch('/api/v1/cluster', { headers: { Accept: 'application/json' } });
    if (res.ok) {
      state.cluster = await res.json();
      scheduleRender();
    }
  } catch (e) { /* the event stream shows the connection state */ }
}

// ---- routing and filters (in the hash: #/path?stack=..&service=..&node=..) ----

function hashFor(path, f) {
  const q = new URLSearchParams();
  for (const k of ['stack', 'service', 'node']) if (f[k]) q.set(k, f[k]);
  const qs = q.toString();
  return '#' + path + (qs ? '?' + qs : '');
}

function currentPath() {
  if (route.page === 'services') return '/services';
  if (route.page === 'service') return '/services/' + encodeURIComponent(route.id);
  return '/';
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  const params = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  const parts = path.split('/').filter(Boolean);
  const previous = route;
  if (parts[0] === 'services' && parts.length > 1) route = { page: 'service', id: decodeURIComponent(parts[1]) };
  else if (parts[0] === 'services') route = { page: 'services' };
  else route = { page: 'cluster' };
  filter = { stack: params.get('stack') || '', service: params.get('service') || '', node: params.get('node') || '' };
  if (previous.page !== route.page || previous.id !== route.id) enterRoute();
  render();
}

function enterRoute() {
  scaleDirty = false;
  $('#notice').hidden = true;
  stopLogs();
  if (route.page === 'service') startLogs(route.id);
  window.scrollTo(0, 0);
}

function setOptions(select, options, value) {
  // options: [[value, label]]; the current value stays even when unknown (a link made before it existed).
  if (value && !options.some(([v]) => v === value)) options.push([value, value]);
  const wanted = [['', 'all'], ...options];
  const same = select.options.length === wanted.length
    && wanted.every(([v, l], i) => select.options[i].value === v && select.options[i].textContent === l);
  if (!same) select.replaceChildren(...wanted.map(([v, l]) => h('option', { value: v }, l)));
  select.value = value;
}

function renderFilters() {
  const services = [...state.services.values()];
  const stacks = [...new Set(services.map((s) => s.stack).filter(Boolean))].sort(byText);
  setOptions($('#filter-stack'), stacks.map((s) => [s, s]), filter.stack);
  const names = services.filter((s) => !filter.stack || s.stack === filter.stack).map((s) => s.name).sort(byText);
  setOptions($('#filter-service'), names.map((n) => [n, n]), filter.service);
  setOptions($('#filter-node'), sortedNodes().map((n) => [n.id, n.hostname]), filter.node);
  const path = currentPath();
  $('#nav-cluster').href = hashFor('/', filter);
  $('#nav-services').href = hashFor('/services', filter);
  $('#nav-cluster').classList.toggle('active', route.page === 'cluster');
  $('#nav-services').classList.toggle('active', route.page !== 'cluster');
  $('#filters').dataset.path = path;
}

function onFilterChange() {
  const f = {
    stack: $('#filter-stack').value,
    service: $('#filter-service').value,
    node: $('#filter-node').value,
  };
  location.hash = hashFor(currentPath(), f);
}

// ---- rendering ----

function render() {
  $('#cluster-view').hidden = route.page !== 'cluster';
  $('#services-view').hidden = route.page !== 'services';
  $('#service-view').hidden = route.page !== 'service';
  document.body.dataset.page = route.page;
  renderTitle();
  renderFilters();
  if (route.page === 'cluster') renderCluster();
  else if (route.page === 'services') renderServices();
  else renderService();
}

function renderTitle() {
  const c = state.cluster;
  const title = $('#cluster-title');
  title.textContent = 'Swarmlet';
  title.dataset.clusterId = c ? c.id : '';
  const nodes = [...state.nodes.values()];
  const leader = nodes.find((n) => n.leader);
  const parts = [];
  if (state.loaded) {
    const managers = nodes.filter((n) => n.role === 'manager').length;
    parts.push(`${nodes.length} node${nodes.length === 1 ? '' : 's'}`, `${managers} manager${managers === 1 ? '' : 's'}`,
      `${state.services.size} service${state.services.size === 1 ? '' : 's'}`);
    parts.push(leader ? 'leader ' + leader.hostname : 'no leader');
  }
  const version = c && c.version ? c.version.replace(/^v/, '') : '';
  if (version) parts.push('v' + version.replace(/^(\d+\.\d+\.\d+)\..*$/, '$1'));  // the build qualifier in the tooltip
  $('#cluster-info').textContent = parts.join(' · ');
  $('#cluster-info').title = version ? 'Swarmlet ' + version : '';
}

function sortedNodes() {
  return [...state.nodes.values()].sort((a, b) => {
    if (a.leader !== b.leader) return a.leader ? -1 : 1;
    if (a.role !== b.role) return a.role === 'manager' ? -1 : 1;
    return byText(a.hostname, b.hostname) || byText(a.id, b.id);
  });
}

function sortTasks(list) {
  return list.sort((a, b) => byText(a.serviceName || '', b.serviceName || '') || (a.slot || 0) - (b.slot || 0)
    || (b.createdAt || 0) - (a.createdAt || 0));
}

const columns = new Map();   // node ID (or '' for unassigned tasks) -> column element
const cards = new Map();     // task ID -> card element

function renderCluster() {
  const now = Date.now();
  const container = $('#cluster');
  const byNode = new Map();
  for (const t of state.tasks.values()) {
    if (!isVisible(t, now) || !matchesFilter(t)) continue;
    const key = state.nodes.has(t.nodeId) ? t.nodeId : '';
    if (!byNode.has(key)) byNode.set(key, []);
    byNode.get(key).push(t);
  }
  const wanted = sortedNodes().filter((n) => !filter.node || n.id === filter.node);
  const order = wanted.map((n) => [n.id, n]);
  if (byNode.has('')) order.push(['', null]);

  const keep = new Set();
  order.forEach(([key, node], i) => {
    let col = columns.get(key);
    if (!col) {
      col = node ? newNodeColumn() : newUnassignedColumn();
      columns.set(key, col);
    }
    if (node) fillNodeColumn(col, node);
    fillCards(col.querySelector('.cards'), sortTasks(byNode.get(key) || []), now);
    if (container.children[i] !== col) container.insertBefore(col, container.children[i] || null);
    keep.add(key);
  });
  for (const [key, col] of columns) {
    if (!keep.has(key)) {
      col.remove();
      columns.delete(key);
      for (const card of col.querySelectorAll('.task-card')) cards.delete(card.dataset.taskId);
    }
  }
  $('#cluster-empty').hidden = state.loaded && order.length > 0;
  $('#cluster-empty').textContent = state.loaded ? 'No node matches the filter.' : 'Waiting for the cluster…';
}

function newNodeColumn() {
  const button = (cls, label, availability) => h('button', { type: 'button', class: cls, 'data-availability': availability }, label);
  return h('div', { class: 'node-column' },
    h('div', { class: 'node-head' },
      h('div', { class: 'node-title' },
        h('span', { class: 'leader-mark', title: 'Raft leader' }, '★'),
        h('span', { class: 'hostname' })),
      h('div', { class: 'node-meta' },
        h('span', { class: 'role' }), h('span', { class: 'availability' }), h('span', { class: 'status' })),
      h('div', { class: 'node-actions' },
        button('node-activate', 'activate', 'active'),
        button('node-pause', 'pause', 'pause'),
        button('node-drain', 'drain', 'drain'))),
    h('div', { class: 'cards' }));
}

function newUnassignedColumn() {
  return h('div', { class: 'pending-column' },
    h('div', { class: 'node-head' },
      h('div', { class: 'node-title' }, h('span', { class: 'hostname' }, 'not on a node')),
      h('div', { class: 'node-meta' }, h('span', {}, 'waiting for a suitable node'))),
    h('div', { class: 'cards' }));
}

function fillNodeColumn(col, n) {
  const d = col.dataset;
  d.nodeId = n.id;
  d.hostname = n.hostname;
  d.role = n.role;
  d.availability = n.availability;
  d.status = n.status;
  d.leader = String(!!n.leader);
  col.classList.toggle('node-down', n.status !== 'ready');
  col.classList.toggle('node-leader', !!n.leader);
  col.querySelector('.leader-mark').hidden = !n.leader;
  col.querySelector('.hostname').textContent = n.hostname;
  col.querySelector('.hostname').title = `${n.id}${n.addr ? ' · ' + n.addr : ''}${n.engineVersion ? ' · Docker ' + n.engineVersion : ''}`;
  col.querySelector('.role').textContent = n.role + (n.managerStatus ? ` (${n.managerStatus.toLowerCase()})` : '');
  col.querySelector('.availability').textContent = n.availability;
  col.querySelector('.availability').className = 'availability avail-' + n.availability;
  col.querySelector('.status').textContent = n.status;
  col.querySelector('.status').className = 'status status-' + n.status;
  for (const b of col.querySelectorAll('.node-actions button')) {
    b.dataset.nodeId = n.id;
    b.classList.toggle('current', b.dataset.availability === n.availability);
    b.setAttribute('aria-pressed', String(b.dataset.availability === n.availability));
  }
}

function fillCards(container, tasks, now) {
  tasks.forEach((t, i) => {
    let card = cards.get(t.id);
    if (!card) {
      card = h('div', { class: 'task-card' });
      cards.set(t.id, card);
    }
    fillCard(card, t, now);
    if (container.children[i] !== card) container.insertBefore(card, container.children[i] || null);
  });
  while (container.children.length > tasks.length) {
    const extra = container.lastElementChild;
    cards.delete(extra.dataset.taskId);
    extra.remove();
  }
}

function fillCard(card, t, now) {
  const stopped = !isLive(t) && ended.has(t.id) && now - ended.get(t.id) < LINGER_MS;
  card.className = `task-card task-${t.state} tone-${tone(t.state)}${stopped ? ' ended' : ''}`;
  const d = card.dataset;
  d.taskId = t.id;
  d.service = t.serviceName || '';
  d.serviceId = t.serviceId || '';
  d.slot = String(t.slot || 0);
  d.state = t.state;
  d.desiredState = t.desiredState;
  d.nodeId = t.nodeId || '';
  if (stopped) d.ended = 'true'; else delete d.ended;
  card.style.setProperty('--svc', serviceColor(t.serviceName));
  const why = t.error || t.message || '';
  card.title = `${t.name || taskLabel(t)} (${t.id})${why ? '\n' + why : ''}`;
  card.replaceChildren(
    h('a', { class: 'card-title', href: hashFor('/services/' + encodeURIComponent(t.serviceId), filter) }, taskLabel(t)),
    h('div', { class: 'card-image' }, shortImage(t.image)),
    h('div', { class: 'card-foot' },
      h('span', { class: 'state' }, t.state), ageSpan(t.updatedAt || t.createdAt)),
    ...(t.error && !isLive(t) ? [h('div', { class: 'card-error' }, t.error)] : []));
}

function renderServices() {
  const body = $('#services-body');
  const onNode = filter.node
    ? new Set([...state.tasks.values()].filter((t) => t.nodeId === filter.node && isLive(t)).map((t) => t.serviceId))
    : null;
  const list = [...state.services.values()]
    .filter((s) => (!filter.stack || s.stack === filter.stack) && (!filter.service || s.name === filter.service)
      && (!onNode || onNode.has(s.id)))
    .sort((a, b) => byText(a.name, b.name));
  body.replaceChildren(...list.map((s) => {
    const running = s.running;
    const complete = running >= s.desired;
    return h('tr', { class: 'service-row', 'data-service-id': s.id, 'data-service': s.name },
      h('td', {}, h('a', { href: hashFor('/services/' + encodeURIComponent(s.id), filter) }, s.name)),
      h('td', {}, s.stack || ''),
      h('td', {}, s.mode),
      h('td', { class: 'replicas ' + (complete ? 'tone-ok' : 'tone-wait'), 'data-running': running, 'data-desired': s.desired },
        `${running}/${s.desired}`),
      h('td', { class: 'mono' }, shortImage(s.image)),
      h('td', { class: 'mono' }, (s.ports || []).join(', ')),
      h('td', { class: 'update-state', title: s.updateMessage || '' }, (s.updateState || '').replace(/_/g, ' ')));
  }));
  $('#services-empty').hidden = !state.loaded || list.length > 0;
  $('#services-empty').textContent = state.services.size ? 'No service matches the filter.' : 'No services.';
}

let scaleDirty = false;

function renderService() {
  const svc = findService(route.id);
  const view = $('#service-view');
  view.dataset.serviceId = svc ? svc.id : '';
  view.classList.toggle('missing', !svc);
  $('#service-actions').hidden = !svc;
  if (!svc) {
    $('#service-name').textContent = state.loaded ? `No such service: ${route.id}` : route.id;
    $('#service-facts').replaceChildren();
    $('#tasks-body').replaceChildren();
    return;
  }
  $('#service-name').textContent = svc.name;
  const facts = [
    ['ID', svc.id], ['Stack', svc.stack || '—'], ['Mode', svc.mode], ['Replicas', `${svc.running}/${svc.desired}`],
    ['Image', shortImage(svc.image)], ['Ports', (svc.ports || []).join(', ') || '—'],
    ['Update', (svc.updateState || '—').replace(/_/g, ' ') + (svc.updateMessage ? ' — ' + svc.updateMessage : '')],
    ['Updated', svc.updatedAt ? age(svc.updatedAt) + ' ago' : '—'],
  ];
  $('#service-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

  const input = $('#scale-input');
  const scalable = svc.mode === 'replicated';
  input.disabled = !scalable;
  $('#scale-button').disabled = !scalable;
  input.title = scalable ? '' : `A ${svc.mode} service has no replica count to scale.`;
  if (!scaleDirty && document.activeElement !== input) input.value = String(svc.desired);

  const tasks = [...state.tasks.values()].filter((t) => t.serviceId === svc.id && (!filter.node || t.nodeId === filter.node));
  tasks.sort((a, b) => (a.slot || 0) - (b.slot || 0) || byText(a.nodeId || '', b.nodeId || '')
    || (b.createdAt || 0) - (a.createdAt || 0));
  let previousKey = null;
  $('#tasks-body').replaceChildren(...tasks.map((t) => {
    const key = (t.slot || 0) + '/' + (t.slot ? '' : t.nodeId);
    const history = key === previousKey;
    previousKey = key;
    return h('tr', {
      class: `task-row task-${t.state}${history ? ' history' : ''}`,
      'data-task-id': t.id, 'data-state': t.state, 'data-desired-state': t.desiredState,
    },
    h('td', { class: 'mono', title: t.id }, shortId(t.id)),
    h('td', {}, (history ? '\\_ ' : '') + taskLabel(t)),
    h('td', { class: 'mono' }, shortImage(t.image)),
    h('td', {}, t.nodeId ? hostname(t.nodeId) : ''),
    h('td', {}, t.desiredState),
    h('td', {}, h('span', { class: 'state tone-' + tone(t.state) }, t.state), ' ', ageSpan(t.updatedAt || t.createdAt)),
    h('td', { class: 'task-error' }, t.error || (t.state !== 'running' ? t.message || '' : '')));
  }));
}

// ---- logs of the shown service ----

let logSource = null;

function stopLogs() {
  if (logSource) logSource.close();
  logSource = null;
  $('#logs').replaceChildren();
  $('#logs-state').textContent = '';
}

function startLogs(id) {
  const box = $('#logs');
  const es = new EventSource(`/api/v1/services/${encodeURIComponent(id)}/logs?tail=100&follow=true`);
  logSource = es;
  let opened = false;
  es.onopen = () => {
    if (opened) box.replaceChildren();  // a reconnect sends the tail again
    opened = true;
    $('#logs-state').textContent = 'following';
  };
  es.onerror = (e) => {
    if (e.data) {
      // the server's own `event: error` ({"message"}): the logs cannot be read; do not retry in a loop
      let message = e.data;
      try { message = JSON.parse(e.data).message || message; } catch (err) { /* plain text */ }
      es.close();
      $('#logs-state').textContent = 'not available: ' + message;
      return;
    }
    $('#logs-state').textContent = es.readyState === EventSource.CLOSED ? 'not available' : 'reconnecting…';
  };
  es.addEventListener('log', (e) => {
    let l;
    try { l = JSON.parse(e.data); } catch (err) { return; }
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    const t = state.tasks.get(l.taskId);
    const who = `${t ? taskLabel(t) : shortId(l.taskId)}@${hostname(l.nodeId)}`;
    box.append(h('div', { class: 'log-line', 'data-stream': l.stream, 'data-task-id': l.taskId },
      h('span', { class: 'log-who' }, who), ' ', l.line));
    while (box.childElementCount > MAX_LOG_LINES) box.firstElementChild.remove();
    if (atBottom) box.scrollTop = box.scrollHeight;
  });
}

// ---- wiring ----

function onClick(e) {
  const target = e.target.closest('button');
  if (!target) return;
  if (target.matches('.node-actions button')) {
    setAvailability(target.dataset.nodeId, target.dataset.availability);
    return;
  }
  const svc = route.page === 'service' ? findService(route.id) : null;
  if (!svc) return;
  if (target.id === 'scale-button') scaleService(svc);
  else if (target.id === 'rollback-button') rollbackService(svc);
  else if (target.id === 'remove-button') removeService(svc);
}

function init() {
  document.addEventListener('click', onClick);
  $('#error-close').addEventListener('click', clearError);
  // once touched, live updates no longer overwrite what is being typed (until the scale is done)
  for (const ev of ['focus', 'input', 'change']) $('#scale-input').addEventListener(ev, () => { scaleDirty = true; });
  $('#scale-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') $('#scale-button').click();
  });
  for (const id of ['#filter-stack', '#filter-service', '#filter-node']) $(id).addEventListener('change', onFilterChange);
  $('#filter-clear').addEventListener('click', () => { location.hash = hashFor(currentPath(), {}); });
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('#token-input').value.trim();
    if (!value) {
      showError('Paste a token from `swarmlet web token` first.');
      return;
    }
    try { localStorage.setItem(TOKEN_KEY, value); } catch (err) {
      showError('This browser does not let the page store the token (' + err.message + ').');
      return;
    }
    $('#token-input').value = '';
    clearError();
    showNotice('Token saved in this browser.');
    renderTokenState();
  });
  $('#token-clear').addEventListener('click', () => {
    try { localStorage.removeItem(TOKEN_KEY); } catch (err) { /* nothing stored */ }
    renderTokenState();
  });
  window.addEventListener('hashchange', parseHash);
  setInterval(() => {
    for (const el of document.querySelectorAll('.age[data-since]')) el.textContent = age(Number(el.dataset.since));
  }, 5000);
  renderTokenState();
  route = { page: '' };
  parseHash();
  connect();
}

document.addEventListener('DOMContentLoaded', init);

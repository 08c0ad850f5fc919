// The /_admin app: code (file tree + Monaco + history), data (tables, SQL), documents,
// users. Plain ES modules over HBF's /_api endpoints; no framework.
import './csp-styles.js';
import { api, csrf, $, el, grid } from './util.js';

const MONACO = document.body.dataset.monaco;
let editor = null; // Monaco editor, or the fallback textarea
let monaco = null;
let current = null; // path of the open file
const models = new Map();

// ---- tabs, session -------------------------------------------------------------------
for (const b of document.querySelectorAll('nav button')) {
  b.addEventListener('click', () => showTab(b.dataset.tab));
}
function showTab(name) {
  for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${name}`;
  if (name === 'data') loadTables();
  if (name === 'users') loadUsers();
  if (name === 'docs') searchDocs('');
  if (name === 'rules') loadRules();
}
$('#logout').addEventListener('click', async () => {
  await fetch('/_api/auth/logout', { method: 'POST', headers: csrf() });
  location.href = '/_admin/login';
});
api('GET', '/_api/auth/me').then((me) => {
  const u = me.user || me;
  $('#who').textContent = `${u.username} (${u.role})`;
}).catch(() => {});

// ---- editor --------------------------------------------------------------------------
const LANG = { js: 'javascript', cjs: 'javascript', mjs: 'javascript', ts: 'typescript', html: 'html',
  ejs: 'html', css: 'css', json: 'json', md: 'markdown', sql: 'sql' };
const langOf = (p) => LANG[p.split('.').pop()] || 'plaintext';
const BINARY = /\.(png|jpe?g|gif|webp|ico|woff2?|ttf|pdf|zip|gz|wasm)$/i;

function loadMonaco() {
  return new Promise((resolve) => {
    if (!MONACO) return resolve(null);
    const s = document.createElement('script');
    s.src = `${MONACO}/vs/loader.js`;
    s.onload = () => {
      self.MonacoEnvironment = { getWorkerUrl: () => `${MONACO}/vs/base/worker/workerMain.js` };
      self.require.config({ paths: { vs: `${MONACO}/vs` } });
      self.require(['vs/editor/editor.main'], () => resolve(self.monaco), () => resolve(null));
    };
    s.onerror = () => resolve(null);
    document.head.append(s);
  });
}

async function initEditor() {
  monaco = await loadMonaco();
  if (monaco) {
    editor = monaco.editor.create($('#editor'), { automaticLayout: true, theme: 'vs', minimap: { enabled: false } });
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, save);
  } else {
    const ta = el('textarea', { id: 'plain-editor', spellcheck: 'false' });
    $('#editor').append(ta);
    editor = { getValue: () => ta.value, setValue: (v) => { ta.value = v; } };
  }
  document.body.dataset.editor = monaco ? 'monaco' : 'plain';
}

async function openFile(path) {
  current = path;
  $('#current').textContent = path;
  $('#status').textContent = '';
  $('#history').hidden = true;
  for (const li of document.querySelectorAll('#tree li')) li.classList.toggle('active', li.dataset.path === path);
  const ro = path.startsWith('node_modules/');
  $('#save').disabled = ro || BINARY.test(path);
  $('#history-btn').disabled = false;
  if (BINARY.test(path)) {
    setText(`(binary file: ${path}; upload to replace it)`, path);
    return;
  }
  const r = await fetch(`/_api/admin/files/${encodeURI(path)}`);
  setText(await r.text(), path, ro);
}

function setText(text, path, readOnly = true) {
  if (!monaco) { editor.setValue(text); return; }
  let model = models.get(path);
  if (!model) {
    model = monaco.editor.createModel(text, langOf(path), monaco.Uri.parse(`file:///${path}`));
    models.set(path, model);
  } else {
    model.setValue(text);
  }
  monaco.editor.setModelMarkers(model, 'hbf', []);
  editor.setModel(model);
  editor.updateOptions({ readOnly });
}

async function save() {
  if (!current || $('#save').disabled) return;
  const r = await fetch(`/_api/admin/files/${encodeURI(current)}`, {
    method: 'PUT', headers: csrf({ 'Content-Type': 'application/octet-stream' }), body: editor.getValue(),
  });
  const data = await r.json().catch(() => ({}));
  const model = monaco && editor.getModel();
  if (r.status === 422) {
    $('#status').textContent = `Not saved: ${data.error}`;
    $('#status').className = 'error';
    if (model) {
      monaco.editor.setModelMarkers(model, 'hbf', [{
        startLineNumber: data.line, startColumn: data.col, endLineNumber: data.line, endColumn: data.col + 1,
        message: data.message, severity: monaco.MarkerSeverity.Error,
      }]);
      editor.revealLineInCenter(data.line);
    }
    return;
  }
  if (!r.ok) { $('#status').textContent = `Not saved: ${data.error || r.status}`; $('#status').className = 'error'; return; }
  if (model) monaco.editor.setModelMarkers(model, 'hbf', []);
  $('#status').textContent = `Saved ${current} (${data.size} bytes); the next request runs it.`;
  $('#status').className = 'ok';
}
$('#save').addEventListener('click', save);

// ---- tree ------------------------------------------------------------------------------
async function loadTree() {
  const { data } = await api('GET', '/_api/admin/files');
  const ul = $('#tree');
  ul.replaceChildren(...data.map((f) => {
    const depth = f.path.split('/').length - 1;
    const li = el('li', { 'data-path': f.path, class: `d${Math.min(depth, 4)}${f.readonly ? ' ro' : ''}` }, f.path);
    li.addEventListener('click', () => openFile(f.path));
    return li;
  }));
}

async function upload(files) {
  for (const f of files) {
    const r = await fetch(`/_api/admin/files/www/${encodeURIComponent(f.name)}`, {
      method: 'PUT', headers: csrf({ 'Content-Type': 'application/octet-stream' }), body: f,
    });
    $('#status').textContent = r.ok ? `Uploaded www/${f.name}` : `Upload failed: ${r.status}`;
    $('#status').className = r.ok ? 'ok' : 'error';
  }
  loadTree();
}
$('#upload').addEventListener('change', (e) => upload(e.target.files));
const aside = $('#tab-code aside');
aside.addEventListener('dragover', (e) => { e.preventDefault(); aside.classList.add('drop'); });
aside.addEventListener('dragleave', () => aside.classList.remove('drop'));
aside.addEventListener('drop', (e) => { e.preventDefault(); aside.classList.remove('drop'); upload(e.dataTransfer.files); });

$('#new-file').addEventListener('click', async () => {
  const path = prompt('New file path (e.g. views/page.ejs)');
  if (!path) return;
  const r = await fetch(`/_api/admin/files/${encodeURI(path)}`, { method: 'PUT', headers: csrf(), body: '' });
  if (r.ok) { await loadTree(); openFile(path); } else { $('#status').textContent = (await r.json()).error; }
});
$('#rename-file').addEventListener('click', async () => {
  if (!current) return;
  const to = prompt(`Rename ${current} to`, current);
  if (!to || to === current) return;
  try { await api('POST', '/_api/admin/rename', { from: current, to }); await loadTree(); openFile(to); } catch (e) { $('#status').textContent = e.message; }
});
$('#delete-file').addEventListener('click', async () => {
  if (!current || !confirm(`Delete ${current}? (it stays in the history)`)) return;
  await fetch(`/_api/admin/files/${encodeURI(current)}`, { method: 'DELETE', headers: csrf() });
  current = null; $('#current').textContent = 'No file open'; loadTree();
});

// ---- history ---------------------------------------------------------------------------
$('#history-btn').addEventListener('click', async () => {
  const { data } = await api('GET', `/_api/admin/history?path=${encodeURIComponent(current)}`);
  $('#history').hidden = false;
  $('#version-view').textContent = '';
  $('#versions').replaceChildren(...(data.length ? data.map((v) => {
    const view = el('button', {}, 'View');
    view.addEventListener('click', async () => { $('#version-view').textContent = await (await fetch(`/_api/admin/history/${v.id}`)).text(); });
    const restore = el('button', {}, 'Restore');
    restore.addEventListener('click', async () => {
      try { await api('POST', `/_api/admin/history/${v.id}/restore`); openFile(current); } catch (e) { $('#status').textContent = e.message; }
    });
    return el('li', {}, `#${v.id} ${new Date(v.saved_at * 1000).toLocaleString()} · ${v.size} bytes `, view, restore);
  }) : [el('li', {}, 'No earlier versions')]));
});

// ---- data ------------------------------------------------------------------------------
let table = null; let offset = 0; const LIMIT = 50; let sort = null;
async function loadTables() {
  const { data } = await api('GET', '/_api/admin/tables');
  $('#tables').replaceChildren(...data.map((name) => {
    const li = el('li', {}, name);
    li.addEventListener('click', () => { table = name; offset = 0; sort = null; browse(); });
    return li;
  }));
}
const quoteId = (s) => `"${s.replaceAll('"', '""')}"`;
async function browse() {
  const where = $('#filter').value.trim();
  const sql = `SELECT * FROM ${quoteId(table)}${where ? ` WHERE ${where}` : ''}${sort ? ` ORDER BY ${quoteId(sort.col)} ${sort.desc ? 'DESC' : 'ASC'}` : ''} LIMIT ${LIMIT} OFFSET ${offset}`;
  $('#sql').value = sql;
  $('#pager').hidden = false;
  $('#page').textContent = `${table}: rows ${offset + 1}–${offset + LIMIT}`;
  await runSql(sql, (col) => { sort = { col, desc: sort && sort.col === col ? !sort.desc : false }; browse(); });
}
$('#prev').addEventListener('click', () => { offset = Math.max(0, offset - LIMIT); browse(); });
$('#next').addEventListener('click', () => { offset += LIMIT; browse(); });
$('#filter').addEventListener('change', () => { offset = 0; browse(); });
async function runSql(sql, onSort) {
  try {
    const r = await api('POST', '/_api/admin/sql', { sql });
    $('#sql-status').textContent = `${r.rows.length} rows${r.changes ? `, ${r.changes} changed` : ''}`;
    grid($('#grid'), r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))), onSort);
  } catch (e) {
    $('#sql-status').textContent = e.message;
    grid($('#grid'), []);
  }
}
$('#sql-form').addEventListener('submit', (e) => { e.preventDefault(); $('#pager').hidden = true; runSql($('#sql').value); });

// ---- documents -------------------------------------------------------------------------
async function searchDocs(q) {
  const url = q ? `/_api/documents/search?q=${encodeURIComponent(q)}` : '/_api/documents?limit=50';
  try {
    const r = await api('GET', url);
    const rows = (r.data || []).map((d) => ({ id: d.id, title: d.title ?? '', type: d.type ?? '', modified: d.modified_at ?? '' }));
    grid($('#doc-grid'), rows, null, async (row) => {
      $('#doc-view').textContent = JSON.stringify(await api('GET', `/_api/documents/${encodeURI(row.id)}`), null, 2);
    });
  } catch (e) { $('#doc-view').textContent = e.message; }
}
$('#doc-search').addEventListener('submit', (e) => { e.preventDefault(); searchDocs($('#doc-q').value); });

// ---- users -----------------------------------------------------------------------------
async function loadUsers() {
  const { data } = await api('GET', '/_api/users');
  const act = async (f) => { try { await f(); loadUsers(); } catch (e) { $('#user-status').textContent = e.message; } };
  grid($('#user-grid'), data.map(({ id, username, role, enabled, email }) => ({ id, username, role, enabled, email })), null, null, (row, td) => {
    const role = el('select', { 'aria-label': `role of ${row.username}` }, ...['user', 'admin', 'owner'].map((r) => el('option', {}, r)));
    role.value = row.role;
    role.addEventListener('change', () => act(() => api('PATCH', `/_api/users/${row.id}`, { role: role.value })));
    const reset = el('button', {}, 'Reset password');
    reset.addEventListener('click', () => {
      const password = prompt(`New password for ${row.username}`);
      if (password) act(() => api('PATCH', `/_api/users/${row.id}`, { password }));
    });
    const del = el('button', {}, 'Delete');
    del.addEventListener('click', () => act(() => api('DELETE', `/_api/users/${row.id}`)));
    td.append(role, reset, del);
  });
}
$('#user-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api('POST', '/_api/users', Object.fromEntries(new FormData(e.target).entries()));
    $('#user-status').textContent = 'Created'; e.target.reset(); loadUsers();
  } catch (err) { $('#user-status').textContent = err.message; }
});

// ---- rules -----------------------------------------------------------------------------
async function loadRules() {
  const [{ data: tables }, { data: perms }, { data: policies }, { data: users }] = await Promise.all([
    api('GET', '/_api/admin/tables'), api('GET', '/_api/permissions'), api('GET', '/_api/policies'), api('GET', '/_api/users'),
  ]);
  for (const sel of document.querySelectorAll('.table-select')) {
    const keep = sel.value;
    sel.replaceChildren(...tables.map((t) => el('option', {}, t)));
    if (keep) sel.value = keep;
  }
  $('#preview-user').replaceChildren(...users.map((u) => el('option', { value: String(u.id) }, `${u.username} (${u.role})`)));
  const remove = (url) => (row, td) => {
    const b = el('button', {}, 'Remove');
    b.addEventListener('click', async () => { await api('DELETE', `${url}/${row.id}`); loadRules(); });
    td.append(b);
  };
  grid($('#perm-grid'), perms, null, null, remove('/_api/permissions'));
  grid($('#policy-grid'), policies, null, null, remove('/_api/policies'));
}
function formJson(form) {
  const out = {};
  for (const e of form.elements) {
    if (!e.name) continue;
    out[e.name] = e.type === 'checkbox' ? e.checked : e.value;
  }
  return out;
}
$('#perm-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try { await api('POST', '/_api/permissions', formJson(e.target)); $('#rules-status').textContent = 'Granted'; loadRules(); } catch (err) { $('#rules-status').textContent = err.message; }
});
$('#policy-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try { await api('POST', '/_api/policies', formJson(e.target)); $('#rules-status').textContent = 'Policy added'; loadRules(); } catch (err) { $('#rules-status').textContent = err.message; }
});
$('#preview-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = formJson(e.target);
  try {
    const r = await api('POST', '/_api/admin/preview', { user_id: Number(f.user_id), sql: f.sql });
    $('#rules-status').textContent = `${r.rows.length} rows as this user sees them`;
    grid($('#preview-grid'), r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))));
  } catch (err) { $('#rules-status').textContent = err.message; grid($('#preview-grid'), []); }
});

await initEditor();
await loadTree();
openFile('server.js').catch(() => {});

// Small DOM and fetch helpers shared by the admin screens.
export const $ = (s) => document.querySelector(s);

/** The CSRF double-submit header (the hbf_csrf cookie), plus `extra`. */
export function csrf(extra = {}) {
  const m = document.cookie.match(/(?:^|;\s*)hbf_csrf=([^;]*)/);
  return m ? { ...extra, 'X-CSRF-Token': m[1] } : extra;
}

/** A JSON call; throws an Error with the API's message on failure. */
export async function api(method, url, body) {
  const init = { method, headers: csrf(body ? { 'Content-Type': 'application/json' } : {}) };
  if (body) init.body = JSON.stringify(body);
  const r = await fetch(url, init);
  if (r.status === 204) return null;
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

/** An element with attributes and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** Fills `table` with `rows` (objects); header clicks call onSort(col), row clicks onRow(row);
 * `cell(row, td)` fills an extra last cell. */
export function grid(table, rows, onSort, onRow, cell) {
  const cols = rows.length ? Object.keys(rows[0]).filter((c) => c !== '') : [];
  const head = el('tr', {}, ...cols.map((c) => {
    const th = el('th', {}, c);
    if (onSort) th.addEventListener('click', () => onSort(c));
    return th;
  }));
  const body = rows.map((r) => {
    const tr = el('tr', {}, ...cols.map((c) => el('td', {}, r[c] === null ? 'NULL' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c]))));
    if (cell) { const td = el('td'); cell(r, td); tr.append(td); }
    if (onRow) tr.addEventListener('click', () => onRow(r));
    return tr;
  });
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...body));
}

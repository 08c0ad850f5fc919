// Sign-in and first-run setup forms of /_admin (the only scripts an anonymous visitor loads).
const $ = (s) => document.querySelector(s);

async function post(url, body) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

const login = $('#login');
if (login) {
  fetch('/_api/admin/setup').then((r) => r.json()).then((s) => {
    if (s.needed) $('#setup-link').hidden = false;
  }).catch(() => {});
  login.addEventListener('submit', async (e) => {
    e.preventDefault();
    $('#error').textContent = '';
    try {
      await post('/_api/auth/login', fields(login));
      location.href = '/_admin/';
    } catch (err) {
      $('#error').textContent = err.message;
    }
  });
}

const setup = $('#setup');
if (setup) {
  setup.addEventListener('submit', async (e) => {
    e.preventDefault();
    $('#error').textContent = '';
    const f = fields(setup);
    try {
      await post('/_api/admin/setup', f);
      await post('/_api/auth/login', { username: f.username, password: f.password });
      location.href = '/_admin/';
    } catch (err) {
      $('#error').textContent = err.message;
    }
  });
}

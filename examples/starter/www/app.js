const list = document.getElementById('notes');
const form = document.getElementById('new-note');

async function refresh() {
  const notes = await (await fetch('/api/notes')).json();
  list.replaceChildren(...notes.map((n) => {
    const li = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = n.body ? `${n.title} — ${n.body}` : n.title;
    const del = document.createElement('button');
    del.textContent = 'Delete';
    del.onclick = async () => { await fetch(`/api/notes/${n.id}`, { method: 'DELETE' }); refresh(); };
    li.append(text, del);
    return li;
  }));
}

form.onsubmit = async (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  await fetch('/api/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data) });
  form.reset();
  refresh();
};

refresh();

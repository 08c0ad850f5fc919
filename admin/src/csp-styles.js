// Monaco writes its theme and decoration CSS into <style> elements, which this page's
// Content-Security-Policy (style-src-elem 'self') refuses. This moves such CSS into
// constructable style sheets adopted by the document: CSSOM, which CSP allows. It must run
// before Monaco loads (app.js imports it first).
const sheets = new WeakMap();
const texts = new WeakMap();

function sheetOf(el) {
  let s = sheets.get(el);
  if (!s) {
    s = new CSSStyleSheet();
    sheets.set(el, s);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
  }
  return s;
}

for (const prop of ['textContent', 'innerText', 'innerHTML']) {
  Object.defineProperty(HTMLStyleElement.prototype, prop, {
    configurable: true,
    get() { return texts.get(this) || ''; },
    set(v) {
      texts.set(this, String(v));
      sheetOf(this).replaceSync(String(v));
    },
  });
}
Object.defineProperty(HTMLStyleElement.prototype, 'sheet', {
  configurable: true,
  get() { return sheetOf(this); },
});
HTMLStyleElement.prototype.remove = function remove() {
  const s = sheets.get(this);
  if (s) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((x) => x !== s);
};
// The <style> element itself is never inserted (an inline one, even empty, is checked).
for (const proto of [Node.prototype]) {
  const append = proto.appendChild;
  proto.appendChild = function appendChild(child) {
    if (child instanceof HTMLStyleElement) { sheetOf(child); return child; }
    return append.call(this, child);
  };
  const insert = proto.insertBefore;
  proto.insertBefore = function insertBefore(child, ref) {
    if (child instanceof HTMLStyleElement) { sheetOf(child); return child; }
    return insert.call(this, child, ref);
  };
}

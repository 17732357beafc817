// Drives the folder page's script (tests/http.rs, `every_dialog_of_the_folder_page_…`) under
// node with a stand-in for the few browser objects it touches (no XMLHttpRequest: the script
// then makes its requests with fetch), and prints every dialog text it
// shows (`confirm`, the status line), every request it makes (with its header fields) and,
// after an upload answered with a receipt and the reload that follows, each receipt line it
// shows (its text, the hash's title, the link's file name and the bytes the link saves), as
// JSON on one line.
//     node dialogs.js SCRIPT.js CASES.json
// CASES: {"buttons": [data-name of each delete button], "uploads": [local file names],
//         "error": the text the server answers a refused request with,
//         "receipts": [[local file name, the server's answer to its PUT]]}.
'use strict';
const fs = require('fs');
const script = fs.readFileSync(process.argv[2], 'utf8');
const cases = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const shown = [];
const element = () => ({
  hidden: true,
  listeners: {},
  addEventListener(type, f) { this.listeners[type] = f; },
});
// Just enough of an element to be built by the script and read back as text.
const node = () => ({
  children: [],
  append(...parts) { this.children.push(...parts); },
  get text() {
    return this.textContent ?? this.children.map((c) => (typeof c === 'string' ? c : c.text)).join('');
  },
});
const receipts = Object.assign(node(), { hidden: true });
const blobs = [];
URL.createObjectURL = (blob) => { blobs.push(blob); return 'blob:' + (blobs.length - 1); };
const stored = new Map();
global.sessionStorage = {
  getItem: (k) => (stored.has(k) ? stored.get(k) : null),
  setItem: (k, v) => { stored.set(k, String(v)); },
};
const status = { set textContent(text) { shown.push(['status', text]); } };
const files = Object.assign(element(), { files: [] });
const controls = element();
const buttons = cases.buttons.map((name) => Object.assign(element(), {
  dataset: { name },
  closest: () => ({ remove() {} }),
}));
let answers = [];
let replies = [];
const reply = (code, text) => ({ ok: code < 300, status: code, text: async () => text });
const uploads = Object.assign(node(), { hidden: true });
global.document = {
  body: { classList: { add() {}, remove() {} } },
  getElementById: (id) => ({ status, files, controls, receipts, uploads })[id] || null,
  querySelector: () => null,
  querySelectorAll: (selector) => (selector === 'button.delete' || selector === 'td.act button' ? buttons : []),
  createElement: node,
  addEventListener() {},
};
global.location = { pathname: '/', href: 'http://127.0.0.1/', reload() {} };
global.confirm = (text) => { shown.push(['confirm', text]); return answers.shift(); };
global.fetch = async (url, options) => {
  shown.push(['fetch', options.method, decodeURIComponent(url), JSON.stringify(options.headers || {})]);
  return replies.shift();
};
(async () => {
  new Function(script)();
  for (const b of buttons) {
    // Confirmed, refused by the server; then confirmed and done.
    answers = [true];
    replies = [reply(500, cases.error)];
    await b.listeners.click();
    answers = [true];
    replies = [reply(204, '')];
    await b.listeners.click();
  }
  for (const name of cases.uploads) {
    // Already there (412); replacing it is confirmed, and refused by the server.
    files.files = [{ name, size: 2 }];
    answers = [true];
    replies = [reply(412, ''), reply(500, cases.error)];
    await files.listeners.change();
  }
  for (const [name, text] of cases.receipts || []) {
    files.files = [{ name, size: 2 }];
    replies = [reply(201, text)];
    await files.listeners.change();
  }
  // The reload: the page's script runs again, and shows the receipts it kept.
  receipts.children = [];
  new Function(script)();
  for (const item of receipts.children) {
    const [hash, link] = item.children.filter((c) => typeof c !== 'string');
    shown.push(['receipt', item.text, hash.title, link.download, await blobs[link.href.slice(5)].text()]);
  }
  console.log(JSON.stringify(shown));
})().catch((e) => { console.error(e); process.exit(1); });

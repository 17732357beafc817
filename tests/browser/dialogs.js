// Drives the folder page's script (tests/http.rs, `every_dialog_of_the_folder_page_…`) under
// node with a stand-in for the few browser objects it touches, and prints every dialog text it
// shows (`confirm`, the status line) and every request it makes, as JSON on one line.
//     node dialogs.js SCRIPT.js CASES.json
// CASES: {"buttons": [data-name of each delete button], "uploads": [local file names],
//         "error": the text the server answers a refused request with}.
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
global.document = {
  getElementById: (id) => ({ status, files, controls })[id],
  querySelectorAll: () => buttons,
};
global.location = { reload() {} };
global.confirm = (text) => { shown.push(['confirm', text]); return answers.shift(); };
global.fetch = async (url, options) => {
  shown.push(['fetch', options.method, decodeURIComponent(url)]);
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
    files.files = [{ name }];
    answers = [true];
    replies = [reply(412, ''), reply(500, cases.error)];
    await files.listeners.change();
  }
  console.log(JSON.stringify(shown));
})().catch((e) => { console.error(e); process.exit(1); });

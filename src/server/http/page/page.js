// The folder page's script (src/server/http/page.rs): sorting, the filter box and the selection
// for every reader; uploads (files and whole folders, dropped or chosen, with progress; large
// files resumable through tus), new folder, rename or move and delete where the rights allow.
// Its logic (names shown, sizes, sort, filter, the tus client) is `globalThis.nfPage`, which
// tests/browser/logic.js drives under node without a document.
(() => {
  'use strict';
  const hidden = /HIDDEN_CLASS/u;
  const esc = (c) => {
    const u = c.codePointAt(0);
    return {9: '\\t', 10: '\\n', 13: '\\r'}[u] || '\\u{' + u.toString(16) + '}';
  };
  // A name as the listing shows it (name::shown): hidden characters escaped, and in a name
  // not in NFC those normalization would change (a combining mark, one that composes).
  const shown = (name) => {
    const cs = Array.from(name);
    const nfc = name === name.normalize('NFC');
    let marks = cs.map((c, i) => !nfc && c.codePointAt(0) > 127 && (/\p{Mn}/u.test(c)
      || (i > 0 && (cs[i - 1] + c).normalize('NFC') !== cs[i - 1] + c)
      || c.normalize('NFC') !== c));
    if (!nfc && !marks.includes(true)) marks = cs.map((c) => c.codePointAt(0) > 127);
    return cs.map((c, i) => (hidden.test(c) || marks[i] ? esc(c) : c)).join('');
  };
  // The server's words (an error), with hidden characters escaped (name::printable).
  const printable = (text) => Array.from(text).map((c) => (hidden.test(c) ? esc(c) : c)).join('');
  // Sizes as the listing shows them (human::size), times to the second in UTC.
  const human = (n) => {
    if (n < 1024) return n + ' B';
    const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
    let v = n / 1024, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
    return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + ' ' + units[u];
  };
  const when = (t) => String(t).split(/[.Z]/)[0].replace('T', ' ') + ' UTC';
  // A time left: "45 s", "3 min 20 s", "2 h 5 min".
  const duration = (s) => {
    s = Math.max(0, Math.ceil(s));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  };
  // "3.0 MiB of 64 MiB · 5.0 MiB/s · 13 s left" (the rate once one is known).
  const progress = (sent, size, rate) => human(sent) + ' of ' + human(size)
    + (rate > 0 && sent < size ? ' · ' + human(rate) + '/s · ' + duration((size - sent) / rate) + ' left' : '');
  // The filter box: a name matches when it holds the text, whatever the case or normalization.
  const fold = (s) => s.normalize('NFC').toLowerCase();
  const matches = (name, query) => fold(name).includes(fold(query.trim()));
  // Rows ({name, kind: 'folder'|'file', size, time}) sorted as the server sorts (page.rs:
  // `Sort`): folders first, then by the key (name, size or time), ties by name.
  const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const order = (rows, key, desc) => rows.slice().sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
    let c = key === 'size' ? a.size - b.size : key === 'time' ? byName({name: a.time}, {name: b.time}) : 0;
    if (c === 0) c = byName(a, b);
    return desc ? -c : c;
  });
  // A relative path (`a/b c.txt`) as a URL path.
  const href = (rel) => rel.split('/').map(encodeURIComponent).join('/');
  const b64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

  // The tus 1.0 client: a file over THRESHOLD goes up in CHUNK-sized PATCHes to an upload
  // created by POST to its folder; the upload's URL is remembered (io.storage, keyed by the
  // folder, name, size and time of the file) so that choosing the same file again, after a
  // reload, continues it. A dropped connection or a server that is away is retried with
  // backoff: HEAD says where the upload stands, and it goes on from there. The answer to the
  // last PATCH (with the receipt: `NF-Receipt: 1`) is returned; a refusal is returned as it is.
  // io: {request(method, url, headers, body, onSent) → {ok, status, header(name), text()},
  //      storage, sleep(ms), base (the page's URL), sent(bytes)}.
  const CHUNK = 8 * 1024 * 1024;
  const THRESHOLD = 8 * 1024 * 1024;
  const RETRIES = 12;
  const backoff = (n) => Math.min(500 * 2 ** n, 10000);
  const tusKey = (folder, name, file) => 'nf-tus ' + JSON.stringify([folder, name, file.size, file.lastModified]);
  const tusUpload = async (file, folder, name, io) => {
    const key = tusKey(folder, name, file);
    const base = {'Tus-Resumable': '1.0.0'};
    const offsetOf = (r) => {
      const v = Number(r.header('Upload-Offset'));
      return r.header('Upload-Offset') !== null && Number.isSafeInteger(v) && v >= 0 && v <= file.size ? v : null;
    };
    let url = io.storage.getItem(key);
    let offset = null;
    let failures = 0;
    const again = async (why) => {
      if (failures >= RETRIES) throw new Error(why + '; choose the file again to continue');
      await io.sleep(backoff(failures));
      failures += 1;
      offset = null;
    };
    const forget = () => { url = null; offset = null; io.storage.removeItem(key); };
    for (;;) {
      let r;
      try {
        if (url !== null && offset === null) {
          r = await io.request('HEAD', url, base);
          if (r.ok && offsetOf(r) !== null) offset = offsetOf(r);
          else if (r.status === 404 || r.status === 410) forget();
          else if (r.status >= 500) { await again('the server answered ' + r.status); continue; } else return r;
        }
        if (url === null) {
          r = await io.request('POST', folder, {...base, 'Upload-Length': String(file.size),
            'Upload-Metadata': 'filename ' + b64(name)});
          if (r.status === 201 && r.header('Location')) {
            url = new URL(r.header('Location'), new URL(folder, io.base)).href;
            io.storage.setItem(key, url);
            offset = 0;
          } else if (r.status >= 500) { await again('the server answered ' + r.status); continue; } else return r;
        }
        const from = offset;
        const end = Math.min(from + CHUNK, file.size);
        const headers = {...base, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(from)};
        if (end === file.size) headers['NF-Receipt'] = '1';
        io.sent(from);
        r = await io.request('PATCH', url, headers, file.slice(from, end), (n) => io.sent(from + n));
        if (r.ok) {
          offset = offsetOf(r) ?? end;
          failures = 0;
          io.sent(offset);
          if (offset >= file.size) { io.storage.removeItem(key); return r; }
        } else if (r.status === 404 || r.status === 410) {
          forget();
          await again('the upload was gone');
        } else if (r.status === 409 || r.status >= 500) await again('the server answered ' + r.status);
        else return r;
      } catch (e) {
        await again('the connection failed (' + e.message + ')');
      }
    }
  };

  const api = {shown, printable, human, duration, progress, matches, order, href, tusUpload, tusKey, CHUNK, THRESHOLD};
  globalThis.nfPage = api;
  if (typeof document === 'undefined') return;

  // A request, as XMLHttpRequest (which reports the bytes sent) or, where there is none, fetch.
  const request = (method, url, headers, body, onSent) => {
    if (typeof XMLHttpRequest === 'undefined') {
      return fetch(url, body === undefined ? {method, headers} : {method, headers, body}).then((r) => ({
        ok: r.ok, status: r.status, text: () => r.text(), header: (n) => (r.headers ? r.headers.get(n) : null)}));
    }
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open(method, url);
      for (const [k, v] of Object.entries(headers || {})) x.setRequestHeader(k, v);
      if (onSent) x.upload.onprogress = (e) => onSent(e.loaded);
      x.onload = () => resolve({ok: x.status >= 200 && x.status < 300, status: x.status,
        text: async () => x.responseText, header: (n) => x.getResponseHeader(n)});
      x.onerror = () => reject(new Error('network error'));
      x.onabort = () => reject(new Error('aborted'));
      x.send(body === undefined ? null : body);
    });
  };
  const $ = (id) => document.getElementById(id);
  const status = $('status');
  const say = (text) => { if (status) status.textContent = text; };
  const failed = async (name, r) => say(name + ': ' + printable(await r.text()));
  document.body.classList.add('js');

  // Sorting (the header's links, which also work without the script), filter and selection.
  const body = document.querySelector('tbody');
  const rows = () => Array.from(body ? body.querySelectorAll('tr') : []);
  const info = (tr) => {
    const a = tr.querySelector('a.n');
    return {tr, name: a.dataset.name, kind: a.dataset.kind, size: Number(a.dataset.size), time: a.dataset.time};
  };
  document.querySelectorAll('th a.sort').forEach((a) => a.addEventListener('click', (e) => {
    e.preventDefault();
    const key = a.dataset.key;
    const desc = a.dataset.current === 'asc';
    order(rows().map(info), key, desc).forEach((r) => body.append(r.tr));
    document.querySelectorAll('th a.sort').forEach((o) => {
      const mine = o === a;
      o.dataset.current = mine ? (desc ? 'desc' : 'asc') : '';
      o.textContent = o.dataset.label + (mine ? (desc ? ' ▼' : ' ▲') : '');
      o.href = '?sort=' + (mine && !desc ? '-' : '') + o.dataset.key;
    });
    history.replaceState(null, '', '?sort=' + (desc ? '-' : '') + key);
  }));
  const filter = $('filter');
  if (filter) {
    filter.hidden = false;
    filter.addEventListener('input', () => rows().forEach((tr) => {
      tr.hidden = !matches(info(tr).name, filter.value);
    }));
  }
  const picked = $('picked');
  const picks = () => Array.from(document.querySelectorAll('input.sel:checked'));
  const repick = () => {
    const names = picks().map((c) => c.value);
    rows().forEach((tr) => tr.classList.toggle('picked', Boolean(tr.querySelector('input.sel:checked'))));
    if (!picked) return;
    picked.hidden = names.length === 0;
    picked.textContent = 'Download ' + names.length + ' selected as tar';
    picked.href = '?tar&' + names.map((n) => 'name=' + encodeURIComponent(n)).join('&');
  };
  document.querySelectorAll('input.sel').forEach((c) => c.addEventListener('change', repick));
  // A tap on a row, off its link and buttons, shows its whole name (a phone has no hover).
  if (body) body.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (tr && !e.target.closest('a, button, input')) tr.classList.toggle('full');
  });

  // The receipts of this tab's uploads to this folder (they outlive the reload that lists
  // the files), each the server's answer exactly as sent, so that it still verifies.
  const receipts = $('receipts');
  const key = 'nf-receipts ' + location.pathname;
  const kept = () => { try { return JSON.parse(sessionStorage.getItem(key)) || []; } catch (e) { return []; } };
  const keep = (name, text) => {
    try { sessionStorage.setItem(key, JSON.stringify(kept().concat([{name, text}]))); } catch (e) { /* not kept */ }
  };
  const showReceipt = ({name, text}) => {
    let r;
    try { r = JSON.parse(text); } catch (e) { return; }
    if (!receipts || !r || r.receipt !== 1 || typeof r.blake3 !== 'string') return;
    const hash = document.createElement('span');
    hash.className = 'blake3';
    hash.title = r.blake3;
    hash.textContent = r.blake3.slice(0, 16) + '…';
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], {type: 'application/json'}));
    link.download = shown(name) + '.receipt.json';
    link.textContent = 'download receipt';
    const item = document.createElement('li');
    item.append(shown(name) + ': received: ' + human(r.size) + ', BLAKE3 ', hash,
      ', ' + when(r.committed) + ' — ', link);
    receipts.append(item);
    receipts.hidden = false;
  };
  kept().forEach(showReceipt);

  document.querySelectorAll('td.act button').forEach((b) => { b.hidden = false; });
  const controls = $('controls');
  if (controls) controls.hidden = false;

  // Uploads: each {file, path} (the path below this folder, `a/b/c.txt` for a dropped folder's
  // file); folders first (MKCOL; one already there is fine), then the files one by one.
  const list = $('uploads');
  const line = (text) => {
    const li = document.createElement('li');
    const label = document.createElement('span');
    const bar = document.createElement('progress');
    label.textContent = text;
    li.append(label, bar);
    if (list) list.append(li);
    return {label, bar};
  };
  const put = (item, replace, onSent) => request('PUT', href(item.path),
    replace ? {'NF-Receipt': '1'} : {'NF-Receipt': '1', 'If-None-Match': '*'}, item.file, onSent);
  const putOne = async (item, name, onSent) => {
    let r = await put(item, false, onSent);
    if (r.status === 412 && confirm(name + ' is already here. Replace it?')) r = await put(item, true, onSent);
    return r;
  };
  const tusOne = (item, onSent) => {
    const cut = item.path.lastIndexOf('/');
    const folder = cut < 0 ? './' : href(item.path.slice(0, cut)) + '/';
    return tusUpload(item.file, folder, item.path.slice(cut + 1), {
      request, storage: localStorage, base: location.href, sent: onSent,
      sleep: (ms) => new Promise((done) => { setTimeout(done, ms); })});
  };
  const upload = async (items, folders) => {
    if (list) list.hidden = false;
    for (const f of folders) await request('MKCOL', href(f) + '/', {});
    const total = items.reduce((n, i) => n + i.file.size, 0);
    const lines = items.map((i) => line(shown(i.path)));
    const all = line('');
    const started = Date.now();
    let done = 0;
    for (const [n, item] of items.entries()) {
      const name = shown(item.path);
      const {label, bar} = lines[n];
      say('Uploading ' + name + '…');
      const sent = (bytes) => {
        const rate = (done + bytes) / Math.max(0.001, (Date.now() - started) / 1000);
        bar.max = item.file.size || 1; bar.value = bytes;
        label.textContent = name + ': ' + progress(bytes, item.file.size, rate);
        all.bar.max = total || 1; all.bar.value = done + bytes;
        all.label.textContent = 'All ' + items.length + ': ' + progress(done + bytes, total, rate);
      };
      sent(0);
      let r;
      try {
        r = item.file.size > THRESHOLD ? await tusOne(item, sent) : null;
        if (r && r.status === 405) r = null;  // no tus here: one PUT
        if (!r) r = await putOne(item, name, sent);
      } catch (e) { say(name + ': ' + printable(e.message)); return; }
      if (!r.ok && r.status !== 412) { await failed(name, r); return; }
      if (r.ok) keep(item.path, await r.text());
      done += item.file.size;
      sent(item.file.size);
    }
    say('Uploaded.');
    location.reload();
  };
  // A dropped folder, read whole: its files with their paths, and its folders.
  const read = (entry, into) => new Promise((resolve, reject) => {
    if (entry.isFile) {
      entry.file((file) => { into.items.push({file, path: entry.fullPath.replace(/^\//, '')}); resolve(); }, reject);
      return;
    }
    into.folders.push(entry.fullPath.replace(/^\//, ''));
    const reader = entry.createReader();
    const next = () => reader.readEntries(async (entries) => {
      if (entries.length === 0) { resolve(); return; }
      try { for (const e of entries) await read(e, into); } catch (e) { reject(e); return; }
      next();
    }, reject);
    next();
  });
  const input = $('files');
  if (input) input.addEventListener('change', () => upload(Array.from(input.files).map((file) => ({file, path: file.name})), []));
  const tree = $('folder');
  if (tree) tree.addEventListener('change', () => {
    const items = Array.from(tree.files).map((file) => ({file, path: file.webkitRelativePath || file.name}));
    const folders = new Set();
    for (const {path} of items) {
      const parts = path.split('/').slice(0, -1);
      parts.forEach((_, i) => folders.add(parts.slice(0, i + 1).join('/')));
    }
    upload(items, Array.from(folders));
  });
  if (input) {
    document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('drop'); });
    document.addEventListener('dragleave', () => document.body.classList.remove('drop'));
    document.addEventListener('drop', async (e) => {
      e.preventDefault();
      document.body.classList.remove('drop');
      const into = {items: [], folders: []};
      const entries = Array.from(e.dataTransfer.items || []).map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry());
      try {
        if (entries.length && entries.every(Boolean)) for (const entry of entries) await read(entry, into);
        else into.items = Array.from(e.dataTransfer.files).map((file) => ({file, path: file.name}));
      } catch (err) { say('The dropped files could not be read: ' + printable(String(err.message || err))); return; }
      into.folders.sort((a, b) => a.split('/').length - b.split('/').length);
      upload(into.items, into.folders);
    });
  }

  const mkdir = $('mkdir');
  if (mkdir) mkdir.addEventListener('click', async () => {
    const name = prompt('New folder name:');
    if (!name) return;
    const r = await request('MKCOL', href(name) + '/', {});
    if (r.ok) location.reload(); else await failed(shown(name), r);
  });
  document.querySelectorAll('button.rename').forEach((b) => b.addEventListener('click', async () => {
    const from = b.dataset.name;
    const to = prompt('Rename or move ' + shown(from) + ' to (a path from this folder):', from);
    if (!to || to === from) return;
    const folderish = b.dataset.kind === 'folder' ? '/' : '';
    const destination = new URL(href(to) + folderish, location.href).href;
    const move = (overwrite) => request('MOVE', href(from) + folderish, {Destination: destination, Overwrite: overwrite});
    let r = await move('F');
    if (r.status === 412 && confirm(shown(to) + ' is already here. Replace it?')) r = await move('T');
    if (r.ok) location.reload(); else if (r.status !== 412) await failed(shown(from), r);
  }));
  document.querySelectorAll('button.delete').forEach((b) => b.addEventListener('click', async () => {
    const name = shown(b.dataset.name);
    if (!confirm('Delete ' + name + '?')) return;
    const r = await request('DELETE', href(b.dataset.name), {});
    if (r.ok) { b.closest('tr').remove(); say('Deleted ' + name + '.'); } else await failed(name, r);
  }));
})();

// Runs the folder page's logic (its script's `globalThis.nfPage`, with no document, so nothing
// of the page is wired) under node for tests/http.rs (`the_folder_page_logic_…`) and prints, as
// JSON on one line: the order of CASES.rows under each sort, which names match each filter,
// progress lines, and the requests and waits of the tus client through scripted stand-ins for
// a server (each scenario's requests as [method, url, Upload-Offset, bytes from, bytes to]).
//     node logic.js SCRIPT.js CASES.json
// CASES: {"rows": [{name, kind, size, time}], "filters": [text], "names": [name]}.
'use strict';
const fs = require('fs');
const script = fs.readFileSync(process.argv[2], 'utf8');
const cases = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
new Function(script)();
const page = globalThis.nfPage;
const MiB = 1024 * 1024;

// A file of `size` bytes whose slices say which bytes they are.
const file = (size) => ({ size, lastModified: 1796690000000, slice: (from, to) => ({ from, to }) });
const storage = () => {
  const kept = new Map();
  return {
    kept,
    getItem: (k) => (kept.has(k) ? kept.get(k) : null),
    setItem: (k, v) => { kept.set(k, String(v)); },
    removeItem: (k) => { kept.delete(k); },
  };
};
const answer = (status, fields = {}, text = '') => ({
  ok: status >= 200 && status < 300, status, text: async () => text,
  header: (n) => (n in fields ? String(fields[n]) : null),
});

// A tus server in a few lines: it holds `have` bytes of one upload at /up/1, and `script`
// decides per request whether it answers, fails the connection, or keeps part of a body.
const tusRun = async (size, scriptOf, kept = storage(), known = null) => {
  const log = [];
  const waits = [];
  let have = 0;
  if (known !== null) { kept.setItem(page.tusKey('sub/', 'big.bin', file(size)), 'http://h/sub/up/1'); have = known; }
  const io = {
    storage: kept,
    base: 'http://h/',
    sleep: async (ms) => { waits.push(ms); },
    sent: () => {},
    request: async (method, url, headers, body) => {
      log.push([method, url, headers['Upload-Offset'] ?? null, body ? body.from : null, body ? body.to : null]);
      const fault = scriptOf(log.length, method);
      if (fault === 'drop') throw new Error('network error');
      if (typeof fault === 'number') return answer(fault);
      if (method === 'POST') {
        if (headers['Upload-Metadata'] !== 'filename ' + Buffer.from('big.bin').toString('base64')) return answer(400);
        return answer(201, { Location: 'up/1' });
      }
      if (method === 'HEAD') return answer(200, { 'Upload-Offset': have });
      if (Number(headers['Upload-Offset']) !== have) return answer(409);
      // `keep`: the connection dropped after part of the body arrived.
      if (fault && fault.keep) { have += fault.keep; throw new Error('network error'); }
      have = body.to;
      return have === size ? answer(200, { 'Upload-Offset': have }, '{"receipt":1}') : answer(204, { 'Upload-Offset': have });
    },
  };
  const r = await page.tusUpload(file(size), 'sub/', 'big.bin', io);
  return { log, waits, status: r.status, text: await r.text(), kept: Array.from(kept.kept.keys()) };
};

(async () => {
  const out = {};
  out.order = {};
  for (const key of ['name', 'size', 'time']) {
    for (const desc of [false, true]) {
      out.order[(desc ? '-' : '') + key] = page.order(cases.rows, key, desc).map((r) => r.name);
    }
  }
  out.filters = cases.filters.map((q) => cases.names.filter((n) => page.matches(n, q)));
  out.progress = [page.progress(3 * MiB, 64 * MiB, 5 * MiB), page.progress(64 * MiB, 64 * MiB, 5 * MiB),
    page.progress(0, 100, 0), page.duration(3725), page.duration(59.2)];
  const size = 2 * page.CHUNK + 5;
  // Straight through: create, then three PATCHes, the last asking for the receipt.
  out.straight = await tusRun(size, () => null);
  // The connection drops twice during the second PATCH, after half a chunk arrived, then the
  // server is away for one HEAD: HEAD says where the upload stands, and it goes on from there.
  out.dropped = await tusRun(size, (n) => ({ 3: { keep: MiB }, 4: 'drop', 5: 503 })[n] ?? null);
  // After a reload: the upload is known, so HEAD first, no POST.
  out.resumed = await tusRun(size, () => null, storage(), page.CHUNK + 7);
  // A refusal is the caller's to show; the upload is not retried.
  out.refused = await tusRun(size, (n) => (n === 1 ? 403 : null));
  // A server that never comes back: a bounded number of tries, then an error; the upload's URL
// stays kept, for choosing the file again.
  const left = storage();
  try {
    await tusRun(size, (n) => (n > 1 ? 'drop' : null), left);
    out.gave_up = ['no error'];
  } catch (e) { out.gave_up = [e.message, ...left.kept.values()]; }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });

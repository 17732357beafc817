#!/usr/bin/env python3
"""The browser check of issues 17, 25 and 26, run by tests/browser/run: a real Chromium (headless,
driven by Selenium and the chromium-driver package) opens the folder page of a fresh `nf serve`
and uses it as a person would:
- uploads a file through the page's own control (one PUT, the File as the body), sees it listed,
  checks the server stored exactly those bytes, sees the upload's receipt line (issue 25), saves
  the receipt with its link and checks it with `nf receipt verify`;
- at a 390x844 phone viewport, with 200-character names, the page is no wider than the screen
  (`scrollWidth <= innerWidth`); screenshots at phone and desktop width are saved;
- uploads a folder through the folder control (webkitdirectory, a directory given to
  chromedriver) and one dropped on the page (a drop event whose items are folder entries, built
  by script), and the server's tree holds both with their structure;
- makes a new folder, renames (moves) a file into it, and deletes another, confirming;
- opens the page of an upload link (`nf share --upload`, issue 25), uploads a file through its
  control (one PUT through the link), the file arrives in the link's folder byte for byte, and
  the page shows nothing of what the folder held, before the upload or after;
- reloads the page during a 24 MiB tus upload, chooses the file again, and the upload goes on
  from where it stood (one upload; only the rest is sent);
- uploads a 64 MiB file, which goes through tus in 8 MiB chunks, while the server is killed
  (SIGKILL) once the upload's offset passes 16 MiB and started again on the same port and
  storage: the page retries, continues from the server's offset, and the file arrives byte for
  byte.
Exits non-zero, saying why, if any step fails.

    check.py --nf PATH/TO/nf --out DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

UPLOAD_NAME = "from the browser ü.bin"
UPLOAD_SIZE = 8 * 1024 * 1024


def gone(element):
    """A wait condition: `element` has left the page. Chromium sometimes reports a removed node
    as an unknown error ("does not belong to the document") rather than a stale element, which
    Selenium's staleness_of does not catch."""
    def check(_driver) -> bool:
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
    return check


def nf_env(data: Path) -> dict[str, str]:
    """An environment with no NF_ settings of the caller's, no config, and its own data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NF_")}
    env.update(NF_CONFIG="/dev/null", XDG_DATA_HOME=str(data))
    return env


def start_server(nf: str, tmp: Path, listen: str = "127.0.0.1:0") -> tuple[subprocess.Popen, str, str]:
    """`nf serve` on `listen` over tmp/store (its log appended to tmp/server.log)."""
    env = nf_env(tmp / "data")
    log_file = tmp / "server.log"
    skip = log_file.stat().st_size if log_file.exists() else 0
    log = open(log_file, "ab")
    p = subprocess.Popen([nf, "serve", "--listen", listen, "--root", str(tmp / "store")],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_file.read_bytes()[skip:].decode(errors="replace")
        if "listening on " in text:
            addr = text.split("listening on ", 1)[1].split(",", 1)[0]
            fingerprint = text.split("TLS identity ", 1)[1].split(None, 1)[0]
            return p, addr, fingerprint
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit(f"nf serve did not start:\n{log_file.read_text(errors='replace')}")


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         answer: list | None = None) -> tuple[int, bytes]:
    """One request; `answer`, when given, receives the response's header fields."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            if answer is not None:
                answer.append(r.headers)
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def path_url(base: str, name: str) -> str:
    return base + "/".join(urllib.request.quote(part, safe="") for part in name.split("/"))


def listing(base: str, folder: str = "") -> dict[str, int | None]:
    """The server's tree below `folder` (`?json` of each folder): name -> size (None: a folder)."""
    tree: dict[str, int | None] = {}
    todo = [folder]
    for _ in range(1000):
        if not todo:
            return tree
        at = todo.pop()
        status, body = http("GET", path_url(base, at) + "?json")
        assert status == 200, f"?json of /{at}: {status} {body!r}"
        for e in json.loads(body):
            if e["type"] == "dir":
                tree[e["name"] + "/"] = None
                todo.append(e["name"] + "/")
            else:
                tree[e["name"]] = e["size"]
    raise AssertionError("the tree has more than 1000 folders")


def check_receipt(nf: str, driver, wait: WebDriverWait, tmp: Path, fingerprint: str, local: Path) -> None:
    """The page's receipt line for the upload, the receipt its link saves, and that receipt verified."""
    item = wait.until(EC.presence_of_element_located(
        (By.XPATH, f"//ul[@id='receipts']/li[starts-with(., '{UPLOAD_NAME}: received: ')]")))
    text = item.text
    blake3 = item.find_element(By.CSS_SELECTOR, "span.blake3").get_attribute("title")
    assert len(blake3) == 64, f"the whole BLAKE3 on hover, not {blake3!r}"
    assert text.startswith(f"{UPLOAD_NAME}: received: 8.0 MiB, BLAKE3 {blake3[:16]}…, ") \
        and text.endswith(" UTC — download receipt"), f"receipt line {text!r}"
    link = item.find_element(By.LINK_TEXT, "download receipt")
    saved_name = f"{UPLOAD_NAME}.receipt.json"
    assert link.get_attribute("download") == saved_name, f"saved as {link.get_attribute('download')!r}"
    link.click()
    saved = tmp / "downloads" / saved_name
    deadline = time.monotonic() + 60
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert saved.exists(), f"the link saved nothing as {saved_name!r} (in {os.listdir(saved.parent)})"
    receipt = json.loads(saved.read_text())
    assert receipt["size"] == UPLOAD_SIZE and receipt["blake3"] == blake3, f"saved receipt {receipt}"
    assert receipt["path"] == UPLOAD_NAME and receipt["server"] == fingerprint, f"saved receipt {receipt}"
    verify = subprocess.run([nf, "receipt", "verify", str(saved), "--fingerprint", fingerprint,
                             "--file", str(local)], env=nf_env(tmp / "verifier"),
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, f"nf receipt verify: {verify.returncode}\n{verify.stdout}{verify.stderr}"
    assert f"BLAKE3 {blake3}" in verify.stdout, f"nf receipt verify said {verify.stdout!r}"
    print(f"receipt: {text!r}; saved and verified: {verify.stdout.strip()}")


LONG = "long " + "n" * 190 + ".pdf"  # 199 characters, one row of many
LONG_FOLDER = "f" * 200
BIG_SIZE = 64 * 1024 * 1024
PHONE = (390, 844)


def viewport(driver, size: tuple[int, int] | None) -> None:
    """A phone's viewport (CSS pixels, touch, mobile), or back to the window's."""
    if size is None:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    else:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True})


def check_layout(driver, wait, base: str, out: Path) -> None:
    """No sideways scrolling at 390x844 with 200-character names; screenshots at both widths."""
    for name in (LONG, f"{LONG_FOLDER}/inside.txt"):
        status, _ = http("PUT", path_url(base, name), b"long\n")
        assert status == 201, f"PUT {name}: {status}"
    viewport(driver, PHONE)
    driver.get(base)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"a.n[data-name='{LONG}']")))
    wait.until(lambda d: d.execute_script("return document.body.classList.contains('js')"))
    width, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE[0], f"the phone viewport is {inner} px wide, not {PHONE[0]}"
    assert width <= inner, f"at {PHONE[0]}x{PHONE[1]} the page is {width} px wide: it scrolls sideways"
    link = driver.find_element(By.CSS_SELECTOR, f"a.n[data-name='{LONG}']")
    assert link.get_attribute("title") == LONG, "the whole name on hover"
    shown_width = driver.execute_script("return arguments[0].getBoundingClientRect().right", link)
    assert shown_width <= inner, f"the long name's link ends at {shown_width} px"
    # A tap on the row (its size) shows the whole name, still within the screen.
    row = link.find_element(By.XPATH, "./ancestor::tr")
    cut = row.size["height"]
    row.find_element(By.CSS_SELECTOR, "td.size").click()
    wait.until(lambda d: "full" in row.get_attribute("class").split())
    assert row.size["height"] > cut, f"the tapped row shows the whole name ({row.size['height']} px high)"
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= inner, f"with the whole name shown the page is {width} px wide"
    shot = out / "nf-folder-page-phone.png"
    driver.save_screenshot(str(shot))
    print(f"phone ({PHONE[0]}x{PHONE[1]}): scrollWidth {width} <= innerWidth {inner}; screenshot: {shot}")
    viewport(driver, None)
    driver.get(base)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"a.n[data-name='{LONG}']")))
    shot = out / "nf-folder-page-desktop.png"
    driver.save_screenshot(str(shot))
    print(f"desktop: screenshot: {shot}")


# A drop of the folder `dropped/` (a.txt, sub/b.txt, sub/deeper/c.txt and the empty sub/none/),
# as Chromium hands a dropped folder to the page: items whose entries are read with
# createReader().readEntries(), in batches, until one comes back empty.
DROP = """
const file = (path, text) => ({isFile: true, isDirectory: false, fullPath: '/' + path,
  file: (ok) => ok(new File([text], path.split('/').pop()))});
const dir = (path, entries) => ({isFile: false, isDirectory: true, fullPath: '/' + path,
  createReader: () => { const batches = [entries.slice(0, 1), entries.slice(1), []];
    return {readEntries: (ok) => ok(batches.shift() || [])}; }});
const top = dir('dropped', [file('dropped/a.txt', 'dropped a\\n'), dir('dropped/sub', [
  file('dropped/sub/b.txt', 'dropped b\\n'), dir('dropped/sub/deeper', [file('dropped/sub/deeper/c.txt', 'dropped c\\n')]),
  dir('dropped/sub/none', [])])]);
const drop = new Event('drop', {bubbles: true, cancelable: true});
Object.defineProperty(drop, 'dataTransfer', {value: {items: [{webkitGetAsEntry: () => top}], files: []}});
document.body.dispatchEvent(drop);
"""


def check_folders(driver, wait, base: str, tmp: Path) -> None:
    """A folder chosen with the folder control, and one dropped, arrive with their structure."""
    local = tmp / "local" / "chosen"
    (local / "inner" / "deep").mkdir(parents=True)
    (local / "a.txt").write_bytes(b"chosen a\n")
    (local / "inner" / "deep" / "d.txt").write_bytes(b"chosen d\n")
    driver.get(base)
    picker = wait.until(EC.visibility_of_element_located((By.ID, "folder")))
    picker.send_keys(str(local))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='chosen']")))
    assert listing(base, "chosen/") == {"chosen/a.txt": 9, "chosen/inner/": None,
                                        "chosen/inner/deep/": None, "chosen/inner/deep/d.txt": 9}, \
        f"the chosen folder on the server: {listing(base, 'chosen/')}"
    for name, want in (("chosen/a.txt", b"chosen a\n"), ("chosen/inner/deep/d.txt", b"chosen d\n")):
        assert http("GET", path_url(base, name)) == (200, want), f"{name} on the server"
    driver.execute_script(DROP)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='dropped']")))
    got = listing(base, "dropped/")
    want = {"dropped/a.txt": 10, "dropped/sub/": None, "dropped/sub/b.txt": 10, "dropped/sub/deeper/": None,
            "dropped/sub/deeper/c.txt": 10, "dropped/sub/none/": None}
    assert got == want, f"the dropped folder on the server: {got}"
    assert http("GET", path_url(base, "dropped/sub/deeper/c.txt")) == (200, b"dropped c\n")
    print("folders: one chosen and one dropped arrived with their structure (and the empty folder)")


def prompt_answer(wait, text: str) -> None:
    alert = wait.until(EC.alert_is_present())
    alert.send_keys(text)
    alert.accept()


def check_manage(driver, wait, base: str) -> None:
    """New folder, rename (a move into it), delete with confirmation."""
    status, _ = http("PUT", path_url(base, "to move.txt"), b"moved bytes\n")
    assert status == 201, f"PUT to move.txt: {status}"
    driver.get(base)
    wait.until(EC.element_to_be_clickable((By.ID, "mkdir"))).click()
    prompt_answer(wait, "made here")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='made here']")))
    assert listing(base, "made here/") == {}, "the new folder is empty"
    row = driver.find_element(By.CSS_SELECTOR, "a.n[data-name='to move.txt']").find_element(By.XPATH, "./ancestor::tr")
    row.find_element(By.CSS_SELECTOR, "button.rename").click()
    prompt_answer(wait, "made here/moved ü.txt")
    wait.until(gone(row))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='made here']")))
    assert http("GET", path_url(base, "to move.txt"))[0] == 404, "the old name is gone"
    assert http("GET", path_url(base, "made here/moved ü.txt")) == (200, b"moved bytes\n"), "moved"
    # A folder is renamed with what it holds.
    row = driver.find_element(By.CSS_SELECTOR, "a.n[data-name='made here']").find_element(By.XPATH, "./ancestor::tr")
    row.find_element(By.CSS_SELECTOR, "button.rename").click()
    prompt_answer(wait, "made there")
    wait.until(gone(row))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='made there']")))
    assert listing(base, "made there/") == {"made there/moved ü.txt": 12}, f"renamed folder: {listing(base, 'made there/')}"
    assert http("GET", path_url(base, "made here/"))[0] == 404, "the folder's old name is gone"
    row = driver.find_element(By.CSS_SELECTOR, "a.n[data-name='before.txt']").find_element(By.XPATH, "./ancestor::tr")
    row.find_element(By.CSS_SELECTOR, "button.delete").click()
    wait.until(EC.alert_is_present()).accept()
    wait.until(gone(row))
    status, _ = http("GET", base + "before.txt")
    assert status == 404, f"before.txt after its delete button: {status}"
    print("manage: new folder made, a file moved into it by rename, the folder renamed, another file deleted")


def tus_offset(driver, base: str) -> int | None:
    """Where the page's tus upload stands on the server (HEAD of the URL the page keeps)."""
    urls = driver.execute_script(
        "return Object.keys(localStorage).filter((k) => k.startsWith('nf-tus ')).map((k) => localStorage.getItem(k))")
    if not urls:
        return None
    fields: list = []
    try:
        status, _ = http("HEAD", urls[0], headers={"Tus-Resumable": "1.0.0"}, answer=fields)
    except OSError:
        return None
    return int(fields[0]["Upload-Offset"]) if status == 200 and fields and fields[0]["Upload-Offset"] else None


def check_resumable(driver, wait, nf: str, tmp: Path, base: str, addr: str, server) -> subprocess.Popen:
    """64 MiB through tus while the server is killed past 16 MiB and started again."""
    content = random.Random(26).randbytes(BIG_SIZE)
    local = tmp / "local" / "big upload.bin"
    local.write_bytes(content)
    driver.get(base)
    picker = wait.until(EC.visibility_of_element_located((By.ID, "files")))
    picker.send_keys(str(local))
    deadline = time.monotonic() + 300
    offset = None
    while time.monotonic() < deadline:
        offset = tus_offset(driver, base)
        if offset is not None and offset >= 16 * 1024 * 1024:
            break
        assert "big upload.bin" not in listing(base), "the upload finished before the server could be killed"
        time.sleep(0.02)
    assert offset is not None and offset >= 16 * 1024 * 1024, \
        f"the page's tus upload never passed 16 MiB (offset {offset}; is tus served?)"
    server.kill()
    server.wait(timeout=30)
    before_restart = (tmp / "server.log").stat().st_size
    print(f"resumable: the server killed at offset {offset}")
    server, again, _ = start_server(nf, tmp, addr)
    assert again == addr, f"restarted on {again}, not {addr}"
    big = WebDriverWait(driver, 300)
    big.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='big upload.bin']")))
    status, stored = http("GET", base + urllib.request.quote("big upload.bin"))
    assert status == 200 and hashlib.sha256(stored).digest() == hashlib.sha256(content).digest(), \
        f"the server holds {len(stored)} bytes that are not the {len(content)} chosen"
    log = (tmp / "server.log").read_text(errors="replace")
    posts = [l for l in log.splitlines() if ' POST 201 "big upload.bin" ' in l]
    assert len(posts) == 1, f"one tus upload, continued after the restart, not begun again:\n{log[-4000:]}"
    after = (tmp / "server.log").read_bytes()[before_restart:].decode(errors="replace")
    patches = [l for l in after.splitlines() if ' PATCH 20' in l and '"big upload.bin"' in l]
    sent_after = sum(int(l.split('"big upload.bin" ', 1)[1].split()[0]) for l in patches)
    assert patches and sent_after <= BIG_SIZE - offset, \
        f"after the restart {sent_after} bytes were sent: it did not continue from {offset}:\n{after}"
    item = wait.until(EC.presence_of_element_located(
        (By.XPATH, "//ul[@id='receipts']/li[starts-with(., 'big upload.bin: received: 64 MiB, BLAKE3 ')]")))
    blake3 = item.find_element(By.CSS_SELECTOR, "span.blake3").get_attribute("title")
    print(f"resumable: 64 MiB arrived byte for byte, {sent_after} bytes in {len(patches)} PATCHes after the restart, "
          f"receipt BLAKE3 {blake3[:16]}…")
    local.unlink()
    return server


def check_reload(driver, wait, tmp: Path, base: str) -> None:
    """A tus upload cut by a page reload continues when the same file is chosen again."""
    size = 24 * 1024 * 1024
    content = random.Random(2626).randbytes(size)
    local = tmp / "local" / "reloaded.bin"
    local.write_bytes(content)
    driver.get(base)
    wait.until(EC.visibility_of_element_located((By.ID, "files"))).send_keys(str(local))
    deadline = time.monotonic() + 300
    offset = None
    while time.monotonic() < deadline:
        offset = tus_offset(driver, base)
        if offset is not None and offset >= 8 * 1024 * 1024:
            break
        time.sleep(0.02)
    assert offset is not None and offset >= 8 * 1024 * 1024, f"the upload never passed 8 MiB ({offset})"
    log_file = tmp / "server.log"
    before = log_file.stat().st_size
    driver.refresh()
    wait.until(EC.visibility_of_element_located((By.ID, "files"))).send_keys(str(local))
    WebDriverWait(driver, 300).until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='reloaded.bin']")))
    assert http("GET", base + "reloaded.bin") == (200, content), "reloaded.bin on the server"
    log = log_file.read_text(errors="replace")
    posts = [l for l in log.splitlines() if ' POST 201 "reloaded.bin" ' in l]
    assert len(posts) == 1, f"one upload, continued after the reload:\n{log[-4000:]}"
    after = log_file.read_bytes()[before:].decode(errors="replace")
    sent = sum(int(l.split('"reloaded.bin" ', 1)[1].split()[0]) for l in after.splitlines()
               if ' PATCH 20' in l and '"reloaded.bin"' in l)
    assert 0 < sent <= size - offset, f"after the reload {sent} bytes were sent, not the rest from {offset}"
    local.unlink()
    print(f"reload: the page reloaded at offset {offset}; the same file chosen again sent the other {sent} bytes")


LINK_HELD = "held before the link.txt"
LINK_UPLOAD = "through the link ü.bin"
LINK_SIZE = 1024 * 1024 + 17  # under the page's tus threshold: one PUT, as an upload link takes


def check_upload_link(nf: str, driver, wait, tmp: Path, base: str, addr: str) -> None:
    """An upload link's page (`nf share --upload`): its control puts a file into the folder,
    byte for byte, and the page shows nothing of what the folder held, before or after."""
    status, _ = http("PUT", path_url(base, f"handin/{LINK_HELD}"), b"already in the folder\n")
    assert status == 201, f"PUT handin/{LINK_HELD}: {status}"
    made = subprocess.run([nf, "share", "--upload", "handin", "-s", addr, "--json"], env=nf_env(tmp / "sharer"),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, f"nf share --upload: {made.returncode}\n{made.stderr}"
    link = json.loads(made.stdout)
    assert link["kind"] == "upload" and link["path"] == "handin" and link["folder"], f"the link: {link}"
    url = link["url"]
    assert url == f"http://{addr}/s/{link['id']}", f"the link's URL {url!r}"
    content = random.Random(25).randbytes(LINK_SIZE)
    local = tmp / "local" / LINK_UPLOAD
    local.write_bytes(content)

    driver.get(url)  # the server sends it on to /s/ID/, where the page's uploads are relative to
    picker = wait.until(EC.visibility_of_element_located((By.ID, "files")))
    assert driver.current_url == url + "/", f"the page is at {driver.current_url}, not {url}/"

    def shows_nothing(when: str) -> None:
        rows = driver.find_elements(By.CSS_SELECTOR, "a.n, tbody tr")
        page = driver.page_source
        assert not rows, f"{when}: the upload link's page lists {len(rows)} rows"
        assert LINK_HELD not in page and "already in the folder" not in page, \
            f"{when}: the upload link's page shows what the folder held:\n{page}"
        shown = [e.get_attribute("id") or e.get_attribute("class") for e in
                 driver.find_elements(By.CSS_SELECTOR, "#mkdir, button.rename, button.delete, input.sel")
                 if e.is_displayed()]
        assert not shown, f"{when}: the upload link's page offers more than uploads: {shown}"

    shows_nothing("before the upload")
    picker.send_keys(str(local))
    # The page puts the file, keeps the receipt the server answers with, and reloads.
    item = wait.until(EC.presence_of_element_located(
        (By.XPATH, f"//ul[@id='receipts']/li[starts-with(., '{LINK_UPLOAD}: received: ')]")))
    blake3 = item.find_element(By.CSS_SELECTOR, "span.blake3").get_attribute("title")
    stored = tmp / "store" / "handin" / LINK_UPLOAD
    assert stored.is_file(), f"nothing stored as handin/{LINK_UPLOAD}: {os.listdir(stored.parent)}"
    got = stored.read_bytes()
    assert got == content, f"the folder holds {len(got)} bytes that are not the {len(content)} chosen"
    assert sorted(os.listdir(stored.parent)) == sorted([LINK_HELD, LINK_UPLOAD]), \
        f"the folder holds {os.listdir(stored.parent)}"
    log = (tmp / "server.log").read_text(errors="replace")
    puts = [l for l in log.splitlines() if " PUT 201 " in l and f"via link {link['id']}" in l]
    assert len(puts) == 1 and f" {LINK_SIZE} " in puts[0], f"one PUT through the link:\n{log[-4000:]}"
    shows_nothing("after the upload")
    # The link takes new files only: reading back through it is refused.
    status, _ = http("GET", path_url(url + "/", LINK_UPLOAD))
    assert status == 403, f"GET through the upload link: {status}"
    print(f"upload link: {LINK_UPLOAD!r} ({LINK_SIZE} bytes) arrived byte for byte through {url}/, "
          f"receipt BLAKE3 {blake3[:16]}…; the page listed nothing of the folder")
    local.unlink()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nf", required=True)
    ap.add_argument("--out", required=True, help="where the screenshots go")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="nf-browser-"))
    server, addr, fingerprint = start_server(args.nf, tmp)
    base = f"http://{addr}/"
    driver = None
    try:
        status, _ = http("PUT", base + "before.txt", b"stored before the page was opened\n")
        assert status == 201, f"PUT before.txt: {status}"
        content = random.Random(17).randbytes(UPLOAD_SIZE)
        local = tmp / "local" / UPLOAD_NAME
        local.parent.mkdir()
        local.write_bytes(content)

        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,700",
                     "--disable-gpu", f"--user-data-dir={tmp / 'profile'}"):
            opts.add_argument(flag)
        downloads = tmp / "downloads"
        downloads.mkdir()
        opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                               "download.prompt_for_download": False})
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        driver = webdriver.Chrome(options=opts, service=service)
        wait = WebDriverWait(driver, 60)
        driver.get(base)
        assert driver.title == "Index of /", f"title {driver.title!r}"
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a.n[data-name='before.txt']")))

        # The control is shown by the page's script; choose the file as a person would.
        picker = wait.until(EC.visibility_of_element_located((By.ID, "files")))
        picker.send_keys(str(local))
        # The page uploads, then reloads with the new file listed.
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"a.n[data-name='{UPLOAD_NAME}']")))
        status, stored = http("GET", base + urllib.request.quote(UPLOAD_NAME))
        assert status == 200, f"GET of the uploaded file: {status}"
        assert hashlib.sha256(stored).digest() == hashlib.sha256(content).digest(), \
            f"the server holds {len(stored)} bytes, not the {len(content)} chosen"
        log = (tmp / "server.log").read_text(errors="replace")
        put_lines = [l for l in log.splitlines() if " PUT 201 " in l and "browser" in l]
        assert put_lines and f" {UPLOAD_SIZE} " in put_lines[-1], \
            f"one PUT of exactly the file's bytes (no form encoding) was expected:\n{log}"

        check_receipt(args.nf, driver, wait, tmp, fingerprint, local)
        check_layout(driver, wait, base, out)
        check_folders(driver, wait, base, tmp)
        check_manage(driver, wait, base)
        check_upload_link(args.nf, driver, wait, tmp, base, addr)
        check_reload(driver, wait, tmp, base)
        server = check_resumable(driver, wait, args.nf, tmp, base, addr, server)
        print(f"browser check passed ({driver.capabilities.get('browserVersion', '?')})")
        return 0
    except AssertionError as e:
        print(f"browser check FAILED: {e}", file=sys.stderr)
        if driver is not None:
            shot = out / "nf-folder-page-failed.png"
            driver.save_screenshot(str(shot))
            print(f"screenshot of the failure: {shot}", file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

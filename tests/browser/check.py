#!/usr/bin/env python3
"""The browser check of issue 17, run by tests/browser/run: a real Chromium (headless, driven by
Selenium and the chromium-driver package) opens the folder page of a fresh `nf serve`, uploads a
file through the page's own control (the page streams it with fetch(), the File as the body),
sees it listed, checks the server stored exactly those bytes, sees the upload's receipt line
(issue 25: "received: size, BLAKE3, time — download receipt"), saves the receipt with its link
and checks it with `nf receipt verify --fingerprint` (the server's, from its start-up line) and
`--file` (the chosen file), deletes another file with its button, and saves a screenshot. Exits non-zero, saying why, if any step fails.

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

UPLOAD_NAME = "from the browser ü.bin"
UPLOAD_SIZE = 8 * 1024 * 1024


def nf_env(data: Path) -> dict[str, str]:
    """An environment with no NF_ settings of the caller's, no config, and its own data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NF_")}
    env.update(NF_CONFIG="/dev/null", XDG_DATA_HOME=str(data))
    return env


def start_server(nf: str, tmp: Path) -> tuple[subprocess.Popen, str, str]:
    env = nf_env(tmp / "data")
    log = open(tmp / "server.log", "wb")
    p = subprocess.Popen([nf, "serve", "--listen", "127.0.0.1:0", "--root", str(tmp / "store")],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = (tmp / "server.log").read_text(errors="replace")
        if "listening on " in text:
            addr = text.split("listening on ", 1)[1].split(",", 1)[0]
            fingerprint = text.split("TLS identity ", 1)[1].split(None, 1)[0]
            return p, addr, fingerprint
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit(f"nf serve did not start:\n{(tmp / 'server.log').read_text(errors='replace')}")


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nf", required=True)
    ap.add_argument("--out", required=True, help="where the screenshot goes")
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
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, "before.txt")))

        # The control is shown by the page's script; choose the file as a person would.
        picker = wait.until(EC.visibility_of_element_located((By.ID, "files")))
        picker.send_keys(str(local))
        # The page uploads, then reloads with the new file listed.
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, UPLOAD_NAME)))
        status, stored = http("GET", base + urllib.request.quote(UPLOAD_NAME))
        assert status == 200, f"GET of the uploaded file: {status}"
        assert hashlib.sha256(stored).digest() == hashlib.sha256(content).digest(), \
            f"the server holds {len(stored)} bytes, not the {len(content)} chosen"
        log = (tmp / "server.log").read_text(errors="replace")
        put_lines = [l for l in log.splitlines() if " PUT 201 " in l and "browser" in l]
        assert put_lines and f" {UPLOAD_SIZE} " in put_lines[-1], \
            f"one PUT of exactly the file's bytes (no form encoding) was expected:\n{log}"

        check_receipt(args.nf, driver, wait, tmp, fingerprint, local)

        shot = out / "nf-folder-page.png"
        driver.save_screenshot(str(shot))
        print(f"screenshot: {shot}")

        # Delete with the row's button, confirming the dialog.
        row = driver.find_element(By.LINK_TEXT, "before.txt").find_element(By.XPATH, "./ancestor::tr")
        row.find_element(By.CSS_SELECTOR, "button.delete").click()
        wait.until(EC.alert_is_present()).accept()
        wait.until(EC.staleness_of(row))
        status, _ = http("GET", base + "before.txt")
        assert status == 404, f"before.txt after its delete button: {status}"
        print(f"browser check passed: Chromium uploaded {UPLOAD_SIZE} bytes through the page, saw the file "
              f"listed with its receipt (saved and verified), and deleted another ({driver.capabilities.get('browserVersion', '?')})")
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

"""Check the built documentation site in a real headless browser (Debian's chromium, driven by Playwright).

Serves the site folder on 127.0.0.1 (Python's http.server, a free port), opens each page and checks that
  * the page loads with HTTP 200 and the browser logs no console error, page error or failed request;
  * every <img> has loaded (complete and naturalWidth > 0), after MathJax has typeset the page without a TeX error;
  * every same-origin link answers HTTP 200, and its #fragment, if any, names an element of the target page;
and saves a full-page PNG screenshot of each page.

Needs `pip install playwright` (its wheel carries the driver; no `playwright install`: the browser is the
system's chromium, e.g. `apt-get install chromium`).
Usage: python tools/check_docs.py [--site _docs] [--pages index.html raft.html | --all] [--shots _docs_shots]
Exit status 0 when every check passes.
"""
from __future__ import annotations
import argparse, functools, html.parser, json, os, shutil, sys, threading, time, urllib.error, urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlparse

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']
DEFAULT_PAGES = ['index.html', 'raft.html']
TIMEOUT_S = int(os.environ.get('CHECK_DOCS_TIMEOUT', '180'))  # seconds per browser step

def find_chromium() -> str | None:
    for c in (os.environ.get('CHROMIUM'), '/usr/bin/chromium', shutil.which('chromium'), shutil.which('chromium-browser')):
        if c and os.path.exists(c): return c

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

class serve:
    "Serve `root` on 127.0.0.1 on a free port, in a thread: `with serve(d) as base: ...`"
    def __init__(self, root): self.root = Path(root)
    def __enter__(self):
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(self.root)))
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f'http://127.0.0.1:{self.httpd.server_address[1]}/'
    def __exit__(self, *a): self.httpd.shutdown(); self.httpd.server_close()

class _Ids(html.parser.HTMLParser):
    def __init__(self): super().__init__(); self.ids = set()
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('id', 'name') and v: self.ids.add(v)

def _get(url, cache={}):
    if url not in cache:
        try:
            with urllib.request.urlopen(url, timeout=10) as r: cache[url] = (r.status, r.read().decode('utf-8', 'replace'))
        except urllib.error.HTTPError as e: cache[url] = (e.code, '')
    return cache[url]

def check_links(hrefs, base) -> list[str]:
    "Problems with the same-origin links among `hrefs`: HTTP status other than 200, or a fragment not in the page."
    bad, origin = [], urlparse(base).netloc
    for href in sorted(set(hrefs)):
        if urlparse(href).netloc != origin: continue
        url, frag = urldefrag(href)
        status, body = _get(url)
        if status != 200: bad.append(f'{href}: HTTP {status}'); continue
        if frag and url.endswith('.html'):
            p = _Ids(); p.feed(body)
            if frag not in p.ids: bad.append(f'{href}: no element with id {frag!r}')
    return bad

_MATHJAX_DONE = """() => new Promise(res => {
  if (!window.MathJax || !MathJax.Hub) return res(false);
  MathJax.Hub.Queue(() => res(true)); })"""

def _settle(page, pending, quiet_s: float = 0.5) -> bool:
    "Wait until no request has been in flight for `quiet_s` (MathJax loads its fonts and extensions on demand)."
    end, busy = time.time() + TIMEOUT_S, time.time()
    while time.time() < end:
        if pending: busy = time.time()
        elif time.time() - busy >= quiet_s: return True
        page.wait_for_timeout(100)
    return False

def check_page(browser, url, shot: Path | None) -> dict:
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    page.set_default_timeout(TIMEOUT_S * 1000)              # a shared, loaded machine can take a while to lay out a long page
    errors = []
    page.on('console', lambda m: m.type == 'error' and errors.append(f'console: {m.text}'))
    page.on('pageerror', lambda e: errors.append(f'pageerror: {e}'))
    page.on('requestfailed', lambda r: errors.append(f'request failed: {r.url} {r.failure}'))
    page.on('response', lambda r: r.status >= 400 and errors.append(f'HTTP {r.status}: {r.url}'))
    pending = set()                                         # requests in flight (Playwright's own networkidle fires once:
    page.on('request', lambda r: pending.add(r))            # after MathJax's late requests it may never fire again)
    page.on('requestfinished', lambda r: pending.discard(r)); page.on('requestfailed', lambda r: pending.discard(r))
    resp = page.goto(url, wait_until='networkidle')
    if resp is None or resp.status != 200: errors.append(f'page: HTTP {resp.status if resp else None}')
    mathjax = page.evaluate(_MATHJAX_DONE)
    if not _settle(page, pending): errors.append(f'requests still in flight after {TIMEOUT_S}s: {sorted(r.url for r in pending)[:5]}')
    imgs = page.evaluate("""() => Array.from(document.images).map(i => (
        {src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth}))""")
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    info = page.evaluate("""() => ({title: document.title, h1: document.querySelector('h1')?.textContent,
        math: document.querySelectorAll('.MathJax_CHTML, .MathJax, mjx-container').length,
        math_errors: Array.from(document.querySelectorAll('.noError, .merror, .MathJax_Error')).map(e => e.textContent),
        raw_dollars: (document.querySelector('main')?.innerText.match(/\\$[^$\\n]{1,40}\\$/g) || []).length})""")
    if shot:
        shot = Path(shot); shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    page.close()
    return dict(url=url, errors=errors, images=imgs, bad_images=[i['src'] for i in imgs if not i['ok']],
                links=len(set(hrefs)), bad_links=check_links(hrefs, url), mathjax=mathjax, **info,
                shot=str(shot) if shot else None)

def check_site(site, pages=None, shots=None, chromium=None) -> list[dict]:
    from playwright.sync_api import sync_playwright
    site = Path(site)
    if pages is None: pages = DEFAULT_PAGES
    elif pages == 'all': pages = [p['file'] for p in json.loads((site / 'pages.json').read_text())]
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium or find_chromium(), args=CHROMIUM_ARGS)
        try: return [check_page(browser, base + p, Path(shots) / (Path(p).stem + '.png') if shots else None) for p in pages]
        finally: browser.close()

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--site', default=str(ROOT / '_docs'))
    ap.add_argument('--pages', nargs='*', default=None)
    ap.add_argument('--all', action='store_true', help='every page listed in pages.json')
    ap.add_argument('--shots', default=str(ROOT / '_docs_shots'), help="folder for the PNG screenshots ('' for none)")
    a = ap.parse_args(argv)
    if not find_chromium(): sys.exit('no chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)')
    res = check_site(a.site, 'all' if a.all else a.pages, a.shots or None)
    ok = True
    for r in res:
        fails = (r['errors'] + [f'image not loaded: {s}' for s in r['bad_images']] + r['bad_links']
                 + [f'TeX error: {t}' for t in r['math_errors']])
        ok &= not fails
        print(f"{'ok  ' if not fails else 'FAIL'} {r['url']}  title={r['title']!r}  images={len(r['images'])} "
              f"links={r['links']} math={r['math']} raw$={r['raw_dollars']} shot={r['shot']}")
        for f in fails: print('     ', f)
    sys.exit(0 if ok else 1)

if __name__ == '__main__': main()

"""The documentation site, checked in a real headless browser (tools/check_docs.py).

Builds `_docs/` with tools/build_docs.py when it is missing or older than a notebook (about 2.5 min on
2 cores), then opens the home page and the RAFT page in Debian's chromium through Playwright: every
image loads, every same-origin link (and its #fragment) resolves, no console error, no TeX error.
Skipped, with the reason, where the docs extras (`pip install -e ".[docs]"`) or chromium are missing.
"""
import importlib.util, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import check_docs  # noqa: E402

def _missing(*mods): return [m for m in mods if importlib.util.find_spec(m) is None]

_MISSING = _missing('playwright', 'nbconvert', 'jupyter_server_mathjax')
_WHY = (f'docs extras not installed ({", ".join(_MISSING)}): pip install -e ".[docs]"' if _MISSING else
        'no chromium (apt-get install chromium, or set CHROMIUM=/path/to/chromium)' if check_docs.find_chromium() is None
        else '')
needs_browser = pytest.mark.skipif(bool(_WHY), reason=_WHY)

@pytest.fixture(scope='module')
def site():
    site, nbs = ROOT / '_docs', list((ROOT / 'nbs').glob('*.ipynb'))
    index = site / 'index.html'
    if not index.exists() or index.stat().st_mtime < max(p.stat().st_mtime for p in nbs):
        subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py')], check=True, cwd=ROOT)
    return site

def test_pandoc_ids():
    import build_docs
    assert build_docs._pandoc_id('raft_loop') == 'raft_loop'
    assert build_docs._pandoc_id('RAFTConfig') == 'raftconfig'
    assert build_docs._pandoc_id('RewardModel.forward') == 'rewardmodel.forward'
    assert build_docs._pandoc_id('Step 1: sampling <code>K</code> responses') == 'step-1-sampling-k-responses'
    assert build_docs._pandoc_id('1. ...') == 'section'

@needs_browser
@pytest.mark.slow
def test_site_in_browser(site, tmp_path):
    pages = check_docs.DEFAULT_PAGES
    assert all((site / p).exists() for p in pages), sorted(p.name for p in site.glob('*.html'))
    res = check_docs.check_site(site, pages, shots=tmp_path)
    for r in res:
        assert r['title'] and r['h1'], r
        assert not r['errors'], (r['url'], r['errors'])
        assert not r['bad_images'], (r['url'], r['bad_images'])
        assert not r['bad_links'], (r['url'], r['bad_links'])
        assert not r['math_errors'], (r['url'], r['math_errors'])
        assert r['raw_dollars'] == 0, (r['url'], 'TeX left untypeset')
        assert Path(r['shot']).stat().st_size > 10_000
    home, raft = res
    assert len(home['images']) >= 10 and raft['math'] >= 10    # the README's figures; the algorithm's formulas

@pytest.mark.slow
@pytest.mark.skipif(bool(_MISSING), reason=_WHY or 'docs extras missing')
def test_no_colab_badge_to_an_unpublished_repository(site):
    "settings.ini `published = False`: the pages' Colab link goes to the home page's section on Colab; no link into git_url."
    import configparser, re
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    if cfg['DEFAULT'].get('published', 'False').lower() in ('1', 'true', 'yes'): pytest.skip('published = True')
    for page in ('index.html', 'raft.html'):
        text = (site / page).read_text(encoding='utf-8')
        links = re.findall(r'<a class="colab" href="([^"]+)"', text)
        assert links and all(l.startswith('index.html#') and 'colab' in l for l in links), (page, links)
        assert 'colab.research.google.com' not in text
        assert 'href="' + cfg['DEFAULT']['git_url'].rstrip('/') not in text   # nor show_doc's [source] links into it

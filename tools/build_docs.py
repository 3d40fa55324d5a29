"""Build the documentation site in `_docs/` from the notebooks, without Quarto.

`nbdev_docs` needs the Quarto binary, and no package registry ships it (the `quarto-cli` package on PyPI is
an sdist whose build downloads Quarto from GitHub). This keeps nbdev's half of `nbdev_docs` -- its notebook
processors, which add and run `show_doc` for every exported name, turn the title cell into frontmatter and
name each page as nbdev does (`05_raft.ipynb` -> `raft.html`) -- and renders the processed notebooks with
nbconvert instead of Quarto, with MathJax served from the site (no CDN).

Like `nbdev_docs` it runs only what the API docs need: exported cells, cells made only of imports, and
`show_doc` cells. Unlike it, of a cell that mixes imports with other code only the imports are run (nbdev runs
the whole cell, so a docs build would train models, or fail on names that skipped cells define); such cells
are listed.
Outputs saved in the notebooks are shown as they are. README.md is not touched (tools/make_readme.py owns it).

Usage: python tools/build_docs.py [--out _docs] [--workers 2] [--force]
"""
from __future__ import annotations
import argparse, ast, html, json, multiprocessing, os, re, shutil, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_DIR = re.compile(r'^\s*#\|\s*([\w-]+):?\s*(.*?)\s*$')
_SHOW = {'export', 'exports', 'exporti', 'exec_doc'}
_PANDOC_LINK = re.compile(r'\[([^\]]+)\]\(([^)\s]+)\)\{([^}]*)\}')

# ---------------------------------------------------------------- nbdev's processing, stricter about execution
def _pure_imports(trees) -> bool:
    return bool(trees) and all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees)

def _imports_of(cell) -> str:
    "The top-level import statements of a cell, as source."
    return '\n'.join(ast.get_source_segment(cell.source, t) for t in cell.parsed_() if isinstance(t, (ast.Import, ast.ImportFrom)))

def _want_exec(cell) -> bool:
    from nbdev.processors import cell_lang, _show_docs
    if cell.cell_type != 'code' or not cell.source or cell_lang(cell) != 'python': return False
    if 'nbdev_export' + '()' in cell.source: return False
    trees = cell.parsed_()
    if not trees or cell.directives_.get('eval:', [''])[0].lower() == 'false': return False
    return bool(cell.directives_.keys() & _SHOW) or _pure_imports(trees) or bool(_show_docs(trees))

def _mixed(cell) -> bool:
    from nbdev.processors import _ast_contains
    if cell.cell_type != 'code' or not cell.source or cell.directives_.keys() & _SHOW: return False
    if cell.directives_.get('eval:', [''])[0].lower() == 'false': return False
    trees = cell.parsed_()
    return bool(trees) and _ast_contains(trees, (ast.Import, ast.ImportFrom)) and not _pure_imports(trees)

def _process(args):
    "Run nbdev's docs processors on one notebook (a worker process), with the strict execution rule."
    src, dst = args
    os.environ['IN_TEST'] = '1'                      # as nbdev's own docs driver does
    import warnings
    from execnb.nbio import read_nb, write_nb
    from fastcore.basics import str2bool
    from nbdev import processors as P

    class exec_show_docs(P.exec_show_docs):
        def __call__(self, cell):
            if not self.nb.has_docs_ or not hasattr(self, 'k'): return
            if str2bool(getattr(self.nb, 'frontmatter_', {}).get('skip_showdoc', False)): return
            if _mixed(cell):                     # run its top-level imports only, not the rest of the cell
                skipped.append(cell.source.strip().split('\n')[0][:50])
                self.k.run(_imports_of(cell))
            elif _want_exec(cell): self.k.cell(cell)
            else: return
            if self.k.exc: raise RuntimeError(f'{src.name}, cell {cell.idx_}:\n{cell.source}') from self.k.exc

    class Filter(P.FilterDefaults):
        def base_procs(self): return [exec_show_docs if p is P.exec_show_docs else p for p in super().base_procs()]

    skipped, t0 = [], time.time()
    nb = read_nb(src)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')           # nbdev's "imports and other code" warning: reported below instead
        Filter()(nb)
    for i, c in enumerate(nb.cells):
        if not c.get('id'): c['id'] = f'nbdev-{i}'
    write_nb(nb, dst)
    return src.name, skipped, time.time() - t0

# ---------------------------------------------------------------- rendering with nbconvert
_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}<link rel="icon" href="data:,">{%- endblock html_head_js -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
            processEscapes: true, processEnvironments: true},
  "HTML-CSS": {availableFonts: [], imageFont: null, preferredFont: null, webFont: "STIX-Web",
               // MathJax 2 probes font loading with url('about:blank'), which Chromium reports as a CORS error
               styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"}}},
  // the assistive MathML copy asks for TeX web fonts the package does not ship (\\mathcal -> MathJax_Script)
  menuSettings: {assistiveMML: false},
  "fast-preview": {disabled: true}, displayAlign: 'center', messageStyle: 'none'});
</script>
<script src="{{ resources.mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}<link rel="stylesheet" href="lab.css"><link rel="stylesheet" href="site.css">{%- endblock extra_css -%}
{%- block notebook_css -%}{%- endblock notebook_css -%}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<nav class="site-nav">{{ resources.site_nav }}</nav>
<main>
<header class="page-header">{{ resources.page_header }}</header>
{%- endblock body_header -%}
{% block body_footer %}
<footer class="page-footer">{{ resources.page_footer }}</footer>
</main>
</body>
{% endblock body_footer %}
"""

_CSS = """
body.jp-Notebook { display: flex; margin: 0; }
nav.site-nav { width: 15rem; flex: none; padding: 1rem; border-right: 1px solid #ddd; min-height: 100vh;
  box-sizing: border-box; font-family: system-ui, sans-serif; font-size: 14px; position: sticky; top: 0;
  align-self: flex-start; max-height: 100vh; overflow-y: auto; }
nav.site-nav a { display: block; padding: .25rem .4rem; color: #2c3e50; text-decoration: none; border-radius: 4px; }
nav.site-nav a.active { background: #2780e3; color: #fff; }
nav.site-nav .site-title { font-weight: 700; font-size: 18px; margin-bottom: .75rem; }
main { flex: 1; min-width: 0; max-width: 60rem; padding: 1rem 2rem; }
header.page-header h1 { margin-bottom: .25rem; font-family: system-ui, sans-serif; }
header.page-header .description p { color: #555; font-size: 1.1rem; margin: 0 0 .5rem; font-family: system-ui, sans-serif; }
a.colab { display: inline-block; font: 600 12px system-ui, sans-serif; color: #fff; background: #f9ab00;
  padding: 2px 8px; border-radius: 3px; text-decoration: none; }
footer.page-footer { margin-top: 3rem; color: #777; font: 12px system-ui, sans-serif; }
.jp-RenderedMarkdown img, .jp-RenderedImage img { max-width: 100%; }
/* from nbconvert's lab template */
a.anchor-link, .jp-Collapser { display: none; }
.jp-InputArea { overflow: hidden; }
.jp-InputArea-editor { overflow-x: auto; }
.cm-editor.cm-s-jupyter .highlight pre { padding: var(--jp-code-padding) 4px; margin: 0; font-family: inherit;
  font-size: inherit; line-height: inherit; color: inherit; }
.jp-OutputArea-output pre { line-height: inherit; font-family: inherit; }
.jp-RenderedText pre { color: var(--jp-content-font-color1); font-size: var(--jp-code-font-size); }
"""

def _frontmatter(nb) -> dict:
    "Pop the YAML frontmatter cell nbdev's FrontmatterProc inserted."
    import yaml
    for i, c in enumerate(nb.cells):
        s = ''.join(c.source) if isinstance(c.source, list) else c.source
        if c.cell_type == 'raw' and s.strip().startswith('---'):
            del nb.cells[i]
            return yaml.safe_load(s.strip().strip('-')) or {}
    return {}

def _quarto_directives(nb, doc_url: str, files: dict, unpublished: str | None = None):
    """Apply the Quarto cell options nbdev's processors leave (echo/output/include); make site links relative and,
    as Quarto does, point links to a notebook (`05_metrics.ipynb#x`) at its page (`metrics.html#x`). With `unpublished`
    (git_url, while settings.ini says `published = False`), show_doc's [source] links into that repository are dropped."""
    nblink = re.compile(r'\]\((?:\./)?([\w.-]+\.ipynb)(?=[#)])')
    keep = []
    for c in nb.cells:
        src = c.source if isinstance(c.source, str) else ''.join(c.source)
        if c.cell_type == 'markdown':
            if re.fullmatch(r':::.*', src.strip()): continue          # Quarto fenced-div markers (boxify)
            src = src.replace(doc_url, '').replace('](../figures/', '](figures/').replace('"../figures/', '"figures/')
            c.source = nblink.sub(lambda m: '](' + files.get(m.group(1), m.group(1)), src)
            keep.append(c); continue
        if c.cell_type != 'code': keep.append(c); continue
        lines, d = src.split('\n'), {}
        while lines and (m := _DIR.match(lines[0])): d[m.group(1)] = m.group(2).lower(); lines.pop(0)
        if d.get('include') == 'false': continue
        c.source = '\n'.join(lines)
        if d.get('echo') == 'false' or not c.source.strip(): c.metadata.setdefault('transient', {})['remove_source'] = True
        if d.get('output') == 'false': c.outputs = []
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md is not None:                                          # show_doc's [source](url){attrs}: pandoc syntax
                md = (md if isinstance(md, str) else ''.join(md)).replace(doc_url, '')
                if unpublished: md = re.sub(r'\[source\]\(' + re.escape(unpublished) + r'[^)]*\)\{[^}]*\}', '', md)
                o['data']['text/markdown'] = _PANDOC_LINK.sub(r'<a href="\2" \3>\1</a>', md)
        if c.metadata.get('transient', {}).get('remove_source') and not c.get('outputs'): continue
        keep.append(c)
    nb.cells = keep

def _pandoc_id(text: str) -> str:
    "Pandoc's auto_identifiers, which nbdev's doc links (`raft.html#raft_loop`, `config.html#raftconfig`) assume."
    s = re.sub(r'\s+', '-', re.sub(r'[^\w\s.-]', '', html.unescape(re.sub(r'<[^>]+>', '', text)).strip()).lower())
    return re.sub(r'^[^a-z]+', '', s) or 'section'

def _heading_ids(body: str) -> str:
    "Give every h1-h4 a pandoc-style id (nbconvert leaves show_doc headings without one), unique per page."
    seen = {}
    def f(m):
        base = _pandoc_id(m.group(3)); n = seen.get(base, 0); seen[base] = n + 1
        attrs = re.sub(r'\s+id="[^"]*"', '', m.group(2) or '')
        return f'<h{m.group(1)} id="{base if n == 0 else f"{base}-{n}"}"{attrs}>{m.group(3)}</h{m.group(1)}>'
    return re.sub(r'<h([1-4])(\s[^>]*)?>(.*?)</h\1>', f, body, flags=re.S)

def _nav(pages, current, title) -> str:
    act = ' class="active"'
    t = lambda s: re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(s))
    links = ''.join(f'<a href="{p["file"]}"{act if p["file"] == current else ""}>{t(p["title"])}</a>' for p in pages)
    return f'<div class="site-title"><a href="index.html">{html.escape(title)}</a></div>{links}'

def render(proc_dir: Path, out: Path, cfg) -> list[dict]:
    import nbformat
    from nbconvert import HTMLExporter
    from jinja2 import DictLoader
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    doc_url = cfg.doc_host.rstrip('/') + cfg.doc_baseurl.rstrip('/') + '/'
    nbs = sorted(proc_dir.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.name))
    pages = []
    for p in nbs:
        nb = nbformat.read(p, as_version=4)
        fm = _frontmatter(nb)
        pages.append(dict(src=p.name, nb=nb, fm=fm, file=fm.get('output-file', p.stem + '.html'),
                          title=fm.get('title', p.stem)))
    exp = HTMLExporter(template_name='lab', template_file='raft_docs.html.j2',
                       extra_loaders=[DictLoader({'raft_docs.html.j2': _TEMPLATE})],
                       mathjax_url='mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe',
                       exclude_anchor_links=True, exclude_input_prompt=True, exclude_output_prompt=True)
    # settings.ini `published = False`: git_url names no public repository yet, so a Colab badge would open nothing;
    # the link goes to the home page's section on running the notebooks on Colab (from an uploaded copy) instead.
    published = str(cfg.get('published', 'False')).lower() in ('1', 'true', 'yes')
    heads = [h for pg in pages if pg['file'] == 'index.html' for c in pg['nb'].cells if c.cell_type == 'markdown'
             for h in re.findall(r'(?m)^#{2,3} (.*Colab.*)$', ''.join(c.source))]
    colab_help = f'index.html#{_pandoc_id(markdown2html_mistune(heads[0]))}' if heads else 'index.html'
    for pg in pages:
        nb, fm = pg['nb'], pg['fm']
        _quarto_directives(nb, doc_url, {q['src']: q['file'] for q in pages}, None if published else cfg.git_url.rstrip('/'))
        nb.metadata['title'] = f"{pg['title'].replace('`', '')} – {cfg.title}"
        if published:                                                   # nbdev's badge: the notebook on GitHub, opened in Colab
            colab = f'https://colab.research.google.com/github/{cfg.user}/{cfg.repo}/blob/{cfg.branch}/{cfg.nbs_path.name}/{pg["src"]}'
        else: colab = colab_help                                        # no public repository: how to run it on Colab instead
        header = '<h1>' + re.sub(r'^<p>|</p>\s*$', '', markdown2html_mistune(pg['title'])) + '</h1>'
        if fm.get('description'): header += f'<div class="description">{markdown2html_mistune(fm["description"])}</div>'
        header += f'<a class="colab" href="{colab}">{"Open in Colab" if published else "Run on Colab"}</a>'
        body, _ = exp.from_notebook_node(nb, resources=dict(
            site_nav=_nav(pages, pg['file'], cfg.title), page_header=header,
            page_footer=f'Generated from <code>{cfg.nbs_path.name}/{pg["src"]}</code> · {html.escape(cfg.copyright)}'))
        (out / pg['file']).write_text(_heading_ids(body), encoding='utf-8')
    return [{k: v for k, v in pg.items() if k not in ('nb', 'fm')} for pg in pages]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=None, help='output folder (default: doc_path of settings.ini, _docs)')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--force', action='store_true', help='process every notebook again (default: only those changed)')
    a = ap.parse_args(argv)
    os.chdir(ROOT)
    from nbdev.config import get_config
    cfg = get_config()
    out = Path(a.out) if a.out else cfg.doc_path
    proc = ROOT / '_proc'                      # processed notebooks, kept between builds as nbdev does
    srcs = sorted(p for p in cfg.nbs_path.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    import hashlib, inspect, nbdev
    key = hashlib.sha1(''.join(inspect.getsource(f) for f in (_pure_imports, _imports_of, _want_exec, _mixed, _process)).encode()
                       + nbdev.__version__.encode() + cfg.config_file.read_bytes()).hexdigest()
    stamp = proc / '.build_docs_key'
    if a.force or not stamp.exists() or stamp.read_text() != key: shutil.rmtree(proc, ignore_errors=True)
    proc.mkdir(exist_ok=True); stamp.write_text(key)
    for p in proc.glob('*.ipynb'):
        if not (cfg.nbs_path / p.name).exists(): p.unlink()
    todo = [s for s in srcs if not (proc / s.name).exists() or (proc / s.name).stat().st_mtime < s.stat().st_mtime]
    t0 = time.time()
    # one fresh process per notebook: IPython's shell (nbdev runs the cells in one) takes over sys.modules['__main__']
    with ProcessPoolExecutor(a.workers, mp_context=multiprocessing.get_context('spawn'), max_tasks_per_child=1) as ex:
        done = list(ex.map(_process, [(s, proc / s.name) for s in todo]))
    for name, skipped, dt in done:
        print(f'processed {name:32s} {dt:5.1f}s' + ''.join(f'\n    imports only (mixed with other code): {s!r}' for s in skipped))
    print(f'{len(srcs) - len(todo)} notebooks unchanged since the last build')
    shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    pages = render(proc, out, cfg)
    (out / 'site.css').write_text(_CSS, encoding='utf-8')
    from jupyter_core.paths import jupyter_path                        # the CSS nbconvert's lab template would inline
    lab = next(Path(d) / 'lab/static' for d in jupyter_path('nbconvert', 'templates') if (Path(d) / 'lab/static').is_dir())
    (out / 'lab.css').write_text((lab / 'index.css').read_text() + (lab / 'theme-light.css').read_text(), encoding='utf-8')
    if (ROOT / 'figures').is_dir(): shutil.copytree(ROOT / 'figures', out / 'figures')
    import jupyter_server_mathjax
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / 'static', out / 'mathjax')
    (out / 'pages.json').write_text(json.dumps(pages, indent=1), encoding='utf-8')
    print(f'{len(pages)} pages in {out}/ ({time.time() - t0:.0f}s): ' + ' '.join(p['file'] for p in pages))

if __name__ == '__main__': main()

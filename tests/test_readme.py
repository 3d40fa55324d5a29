"README.md is generated from nbs/index.ipynb; CI calls the README's own test command."
import pathlib, re, sys
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'tools'))
from make_readme import render, ROOT

def test_readme_is_current():
    assert (ROOT / 'README.md').read_text(encoding='utf-8') == render(), 'run: python tools/make_readme.py'

def test_ci_runs_the_readme_test_command():
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    ci = (ROOT / '.ci' / 'run').read_text()
    assert 'make test' in readme and re.search(r'^make test\b', ci, re.M)

def test_readme_tables_come_from_reports():
    "The README's tables of results are blocks filled from committed reports, and the notebook's copies are current."
    from make_readme import update_notebook, BLOCK
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    assert len(BLOCK.findall(readme)) >= 3, 'the results tables of nbs/index.ipynb should be <!-- table: FILE § HEADING --> blocks'
    assert not update_notebook(write=False), 'run: python tools/make_readme.py --update'

def test_text_and_table_blocks_are_filled_from_a_report(tmp_path):
    "A text block takes the prose under its heading (up to the next heading or table); a table block its first table."
    from make_readme import fill
    rep = tmp_path / 'r.md'
    rep.write_text('# Report\n\n## Why it differs\n\nOne **paragraph** from the results.\n\nAnd a second.\n\n| a |\n|---|\n| 1 |\n\n## Next\n\nnot this\n')
    md = fill(f'x\n<!-- text: {rep} § Why -->\nstale\n<!-- /text -->\n<!-- table: {rep} § Why -->\n<!-- /table -->\n')
    assert 'One **paragraph** from the results.\n\nAnd a second.\n<!-- /text -->' in md and 'stale' not in md and 'not this' not in md
    assert '| a |\n|---|\n| 1 |\n<!-- /table -->' in md

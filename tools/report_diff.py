"""How two `report.md` files of `raft_reproduce` differ: every numeric cell of every table, matched by section, row and column.

    python3 tools/report_diff.py A.md B.md [--columns gold] [--all] [--out FILE.md --title TEXT]

For two runs of the same preset and code on different hosts (another CPU gives other digits), this says how far apart
they came out and whether the difference is inside the seed-to-seed spread: for a "mean ± std" cell, the difference of
the means over A's std. Times, memory and load columns are left out (they are the host's by design). Standard library only.
"""
import argparse, os, re, sys

SKIP = re.compile(r'time|wall|RSS|memory|load|\(s\)|@ [\d.,]+ s\b', re.I)   # the host's by design (gold @ 21 s: at equal wall time)
NUM = re.compile(r'^\*{0,2}(-?[\d,]*\.?\d+)\*{0,2}(?:\s*±\s*([\d,]*\.?\d+))?\*{0,2}$')


def tables(path):
    "{(section, row label, column): cell text} of every Markdown table in `path`."
    cells, section, header = {}, '', None
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('#'): section, header = line.lstrip('#').strip(), None; continue
        if not line.startswith('|'): header = None; continue
        row = [c.strip() for c in line.strip('|').split('|')]
        if header is None: header = row; continue
        if set(''.join(row)) <= set(':-'): continue
        for col, cell in zip(header[1:], row[1:]): cells[(section, row[0], col)] = cell
    return cells


def number(cell):
    "(mean, std or None) of a cell like '0.441 ± 0.089', '**0.70**' or '3,072'; None if not a number."
    m = NUM.match(cell.replace(' → ', '→').split('→')[-1].strip())
    if not m: return None
    return float(m[1].replace(',', '')), (float(m[2].replace(',', '')) if m[2] else None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('a'); ap.add_argument('b')
    ap.add_argument('--columns', default='gold', help='only columns whose name contains this (default: gold)')
    ap.add_argument('--all', action='store_true', help='every numeric column but times, memory and load')
    ap.add_argument('--out', help='also write the comparison to this Markdown file (section "Differences")')
    ap.add_argument('--title', help="the file's first paragraph: what A and B are (default: their paths)")
    a = ap.parse_args(argv)
    A, B = tables(a.a), tables(a.b)
    rows, same = [], 0
    for k in A:
        if k not in B or SKIP.search(k[2]) or (not a.all and a.columns.lower() not in k[2].lower()): continue
        x, y = number(A[k]), number(B[k])
        if x is None or y is None: continue
        if x[0] == y[0]: same += 1; continue
        rows.append((*k, A[k], B[k], y[0] - x[0], (y[0] - x[0]) / x[1] if x[1] else None))
    out = [f"{same + len(rows)} numeric cells compared ({sum(k not in B for k in A)} of A's cells missing in B): {same} equal, {len(rows)} differ", '']
    if rows:
        out += ['| section | row | column | A | B | B − A | (B − A) / A\'s std |', '|---|---|---|---|---|---|---|']
        out += [f"| {s} | {r} | {c} | {x} | {y} | {d:+.3f} | {'' if z is None else f'{z:+.2f}'} |" for s, r, c, x, y, d, z in rows]
        z = sorted(abs(r[-1]) for r in rows if r[-1] is not None)
        if z: out += ['', f"mean ± std cells: |B − A| / A's std at most {z[-1]:.2f}, median {z[len(z) // 2]:.2f} ({len(z)} cells)"]
    print('\n'.join(out)); sys.stdout.flush()
    if a.out:                                   # atomically: a Markdown file with the comparison under its own heading
        text = f"# Two reports compared\n\n{a.title or f'A: `{a.a}`; B: `{a.b}`.'}\n\n## Differences\n\n" + '\n'.join(out) + '\n'
        tmp = a.out + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f: f.write(text)
        os.replace(tmp, a.out)


if __name__ == '__main__':
    main()

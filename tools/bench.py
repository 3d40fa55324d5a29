"""Speed of the default models against the machine's own limit, in one process and one run (issue #11).

    .venv/bin/python tools/bench.py [--base RUN_DIR] [--reps 3] [--out figures/bench.md]      (make bench)

First the limit: the FLOP/s of torch matmuls at the GEMM shapes of the policy (single thread, CPU time), on a grid
of row counts, forward and forward+backward; a 2048² square and the model's GEMMs with all threads for reference.
Then, for each workload of the package (SFT steps, reward-model steps, sampling with K = 8 and 32, a log-probability
pass, reward-model scoring, a RAFT stage, the evaluation, a PPO iteration) the wall and CPU time (median of `--reps`),
the GEMM FLOPs counted by hooks on every linear layer (6·N per token trained, 2·N per token forward; attention
FLOPs counted apart), the tokens fed (padding included) and real, the achieved GEMM FLOP/s and the fraction of the
limit: the time the same GEMMs would take alone at the measured matmul rates, over the CPU time of the workload.
Then changes timed both ways side by side ("Before and after"): a fresh process's imports without and with
bytecode caches; the workloads of `raft_align` with one thread and with every core (`make align`'s mode); and
sampling with the package's KV cache and with one written in place (tried, slower, not adopted), with the parts of
one decode step timed apart. And the presets' mode: a workload alone against two copies at once (two 1-thread jobs).
With `--base` (a finished `raft_align` run) the trained SFT model and reward model are used; otherwise random ones of
the default sizes. The machine's load average is recorded at the start and the end. Nothing here is a test: other work
on the machine changes the figures, which is why the limit is measured in the same run.
"""
from __future__ import annotations
import argparse, json, os, pathlib, statistics, sys, time
import torch, torch.nn as nn

def now(): return time.perf_counter()
def load(): return tuple(round(x, 2) for x in os.getloadavg())

def timeit(f, reps=3, warm=1, clock=time.perf_counter):
    for _ in range(warm): f()
    ts = []
    for _ in range(reps): t = clock(); f(); ts.append(clock() - t)
    return statistics.median(ts)

# --- the limit ---------------------------------------------------------------------------------------------------
M_GRID = (1, 16, 64, 256, 512, 1024, 2048, 4096, 8192)

def _gemm_time(m, k, n, kind):
    if kind == 'fwd': x, w, b = torch.randn(m, k), torch.randn(k, n), torch.randn(n); f = lambda: torch.addmm(b, x, w)
    elif kind == 'dx': x, w = torch.randn(m, n), torch.randn(k, n); f = lambda: x @ w.t()      # dX = dY Wᵀ
    else: x, y = torch.randn(m, k), torch.randn(m, n); f = lambda: x.t() @ y                 # dW = Xᵀ dY
    inner = max(1, min(200, int(2e6 // max(1, m * k * n // 64))))
    def g():
        for _ in range(inner): f()
    return timeit(g, reps=5, clock=time.process_time) / inner

class MatmulLimit:
    "Single-thread GEMM times on a grid of row counts for every (k, n) of the model; `ideal` interpolates."
    def __init__(self, kn):
        self.t = {(kind, k, n): [_gemm_time(m, k, n, kind) for m in M_GRID] for k, n in set(kn) for kind in ('fwd', 'dx', 'dw')}
    def _at(self, kind, m, k, n):
        ts = self.t[kind, k, n]
        if m <= M_GRID[0]: return ts[0] * m / M_GRID[0] if m else 0.0
        for i in range(1, len(M_GRID)):
            if m <= M_GRID[i]:
                w = (m - M_GRID[i - 1]) / (M_GRID[i] - M_GRID[i - 1]); return ts[i - 1] * (1 - w) + ts[i] * w
        return ts[-1] * m / M_GRID[-1]
    def ideal(self, m, k, n, train=False):
        return self._at('fwd', m, k, n) + (self._at('dx', m, k, n) + self._at('dw', m, k, n) if train else 0.0)
    def rate(self, m, kn, train=False):
        return sum(2 * m * k * n * (3 if train else 1) for k, n in kn) / sum(self.ideal(m, k, n, train) for k, n in kn)

def gpt2_kn(d, n_layer, vocab):
    return [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)] * n_layer + [(d, vocab)]

def square_rate(n=2048, threads=1):
    old = torch.get_num_threads(); torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    t = timeit(lambda: a @ b, reps=5, warm=2, clock=time.process_time if threads == 1 else time.perf_counter)
    torch.set_num_threads(old); return 2 * n ** 3 / t

def shapes_rate(m, kn, threads, train):
    old = torch.get_num_threads(); torch.set_num_threads(threads)
    mats = [(torch.randn(m, k), torch.randn(k, n), torch.randn(n), torch.randn(m, n)) for k, n in kn]
    def f():
        for x, w, b, dy in mats:
            torch.addmm(b, x, w)
            if train: dy @ w.t(); x.t() @ dy
    t = timeit(f, reps=5, warm=2, clock=time.process_time if threads == 1 else time.perf_counter)
    torch.set_num_threads(old); return sum(2 * m * k * n * (3 if train else 1) for k, n in kn) / t

# --- counting the FLOPs of a workload ------------------------------------------------------------------------------
class Counter:
    "GEMM FLOPs of every Conv1D/Linear call (×3 with gradients), attention FLOPs, tokens fed and real, ideal GEMM time."
    def __init__(self, models, limit):
        from transformers.pytorch_utils import Conv1D
        from transformers.models.gpt2.modeling_gpt2 import GPT2Attention, GPT2Model
        self.limit, self.hooks = limit, []; self.reset()
        for model in models:
            for mod in model.modules():
                if isinstance(mod, Conv1D): self.hooks.append(mod.register_forward_pre_hook(self._lin(mod.nx, mod.nf)))
                elif isinstance(mod, nn.Linear): self.hooks.append(mod.register_forward_pre_hook(self._lin(mod.in_features, mod.out_features)))
                elif isinstance(mod, GPT2Attention): self.hooks.append(mod.register_forward_pre_hook(self._attn, with_kwargs=True))
                elif isinstance(mod, GPT2Model): self.hooks.append(mod.register_forward_pre_hook(self._tok, with_kwargs=True))
    def reset(self): self.gemm = self.attn = self.ideal = 0.0; self.tokens = self.real = 0
    def _lin(self, k, n):
        def hook(mod, args):
            m = args[0].numel() // k; train = torch.is_grad_enabled() and mod.weight.requires_grad
            self.gemm += 2 * m * k * n * (3 if train else 1); self.ideal += self.limit.ideal(m, k, n, train)
        return hook
    def _attn(self, mod, args, kwargs):
        B, T, d = args[0].shape; cache = kwargs.get('cache'); past = 0
        if cache is not None:
            try: past = cache.get_seq_length(mod.layer_idx)
            except Exception: past = 0
        self.attn += 4 * B * T * (past + T) * d * (3 if torch.is_grad_enabled() else 1)
    def _tok(self, mod, args, kwargs):
        ids = kwargs.get('input_ids', args[0] if args else None)
        if ids is None: return
        self.tokens += ids.numel(); am = kwargs.get('attention_mask')
        self.real += int(am.sum()) if am is not None and am.shape == ids.shape else ids.numel()
    def close(self):
        for h in self.hooks: h.remove()

def unwatched(*models):
    "What a workload's `watch` returns when nothing is counted: the model(s) as given."
    return models[0] if len(models) == 1 else models

def measure(name, f, limit, reps):
    "Run `f(watch)` once counted (`watch(*models)` hooks the models it uses), then `reps` times timed (wall and CPU)."
    counters = []
    def watch(*models): counters.append(Counter(models, limit)); return models[0] if len(models) == 1 else models
    f(watch)
    c = {k: sum(getattr(x, k) for x in counters) for k in ('gemm', 'attn', 'ideal', 'tokens', 'real')}
    for x in counters: x.close()
    walls, cpus = [], []
    for _ in range(reps):
        w, p = time.perf_counter(), time.process_time(); f(unwatched)
        walls.append(time.perf_counter() - w); cpus.append(time.process_time() - p)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return dict(workload=name, wall_s=wall, cpu_s=cpu, tokens_fed=c['tokens'], real_tokens=c['real'], gemm_gflop=c['gemm'] / 1e9,
                attn_gflop=c['attn'] / 1e9, gemm_gflops=c['gemm'] / cpu / 1e9, limit_s=c['ideal'], of_limit=c['ideal'] / cpu,
                tokens_per_s=c['tokens'] / wall)

# --- where the time goes -------------------------------------------------------------------------------------------
GROUPS = [('GEMMs (linear layers)', ('addmm', 'aten::mm', 'bmm', 'linear', 'matmul')),
          ('attention', ('scaled_dot_product', 'attention', 'baddbmm')),
          ('softmax, sampling, loss', ('softmax', 'multinomial', 'cumsum', 'searchsorted', 'sort', 'topk', 'cross_entropy', 'nll_loss', 'gather', 'rand')),
          ('layer norm, GELU, element-wise', ('layer_norm', 'gelu', 'add', 'mul', 'div', 'sub', 'tanh', 'pow', 'where', 'masked_fill')),
          ('optimizer', ('adam', 'foreach', 'clip', 'norm')),
          ('copies, indexing, cache', ('copy', 'cat', 'index', 'select', 'slice', 'view', 'reshape', 'contiguous', 'to', 'empty', 'zeros', 'ones', 'repeat',
                                      'expand', 'stack', 'clone', 'fill', 'arange', 'embedding', 'transpose', 'permute', 'narrow', 'split', 'unsqueeze', 'squeeze'))]

def profile(f):
    "CPU time of `f()` split by torch's profiler into op groups (self CPU time of each aten op); the rest is Python and the libraries."
    from torch.profiler import profile as prof, ProfilerActivity
    p0 = time.process_time()
    with prof(activities=[ProfilerActivity.CPU]) as pr: f()
    total = time.process_time() - p0
    shares = {g: 0.0 for g, _ in GROUPS}; shares['other aten ops'] = 0.0
    for e in pr.key_averages():
        if not e.key.startswith('aten::'): continue
        t = e.self_cpu_time_total / 1e6
        g = next((g for g, keys in GROUPS if any(k in e.key for k in keys)), 'other aten ops'); shares[g] += t
    shares['Python, framework and dispatch (the rest)'] = max(0.0, total - sum(shares.values()))
    return total, shares

# --- before and after ----------------------------------------------------------------------------------------------
def import_s(env, reps=2):
    "Wall seconds of a fresh interpreter's `import raft_nb.runner` (median of `reps`)."
    import subprocess
    def once():
        t = now(); subprocess.run([sys.executable, '-c', 'import raft_nb.runner'], env=env, check=True); return now() - t
    return statistics.median(once() for _ in range(reps))

def fingerprint(x):
    "A hash of everything `x` holds (tensors, a model's weights, numbers, nested lists and dicts): equal outputs, equal hashes."
    import hashlib
    h = hashlib.sha256()
    def walk(v):
        if isinstance(v, nn.Module): v = v.state_dict()
        if torch.is_tensor(v): h.update(v.detach().cpu().contiguous().numpy().tobytes())
        elif isinstance(v, dict):
            for k in sorted(v, key=str): h.update(str(k).encode()); walk(v[k])
        elif isinstance(v, (list, tuple)):
            for u in v: walk(u)
        else: h.update(repr(v).encode())
    walk(x); return h.hexdigest()

THREADED = ('SFT', 'reward model', 'RAFT stage', 'evaluation')

def threads_rows(work, reps):
    """`make align`'s mode (issue #11): one process on every core. Wall time of the workloads that make up `raft_align`
    with 1 thread and with all of torch's threads, side by side; 'same output' compares the two (another thread count
    splits some sums differently: other digits), and whether every run with all threads gives the same output (the same seed repeats)."""
    n, rows = torch.get_num_threads(), []
    allc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    for name, fn in work:
        if not name.startswith(THREADED): continue
        def timed(t):                                                   # a warm-up run, then `reps` timed: each one's output hashed
            torch.set_num_threads(t); walls, prints = [], []
            try:
                for _ in range(reps + 1):
                    w = now(); x = fn(unwatched); walls.append(now() - w); prints.append(fingerprint(x))
            finally: torch.set_num_threads(n)
            return statistics.median(walls[1:]), prints
        (w1, p1), (wa, pa) = timed(1), timed(allc)
        f1, fa = p1[0], pa[0]
        rows.append(dict(change=f'all cores for one process (`make align`: {allc} threads, `THREADS=0`)', workload=f'{name}, wall s (median of {reps})',
                         without=w1, with_=wa, same=('yes' if fa == f1 else 'no: other digits') + f"; {reps + 1} runs with {allc} threads: {'same' if len(set(pa)) == 1 else 'DIFFERENT'}",
                         adopted='yes (`make align`; the presets: 1 thread per job)'))
    return rows

PAIRED = ('SFT', 'sampling: b = 128, K = 8', 'evaluation', 'PPO iteration')

def _child(f):
    torch.set_num_threads(1); f(unwatched)
    sys.stdout.flush(); os._exit(0)

def two_at_once(work, reps):
    """The presets' mode (`--jobs 2`, one thread each) against one job alone: the wall time of a workload in one forked
    process, and of two forked processes running it at the same time. On a machine whose cores were free, two jobs
    would take as long as one (a throughput gain of 2×); what they lose to each other (shared caches, memory bandwidth,
    cores that are hyperthreads of one, other tenants) shows as a gain below 2."""
    import multiprocessing as mp
    ctx, rows = mp.get_context('fork'), []
    def once(f, k):
        t = now(); ps = [ctx.Process(target=_child, args=(f,)) for _ in range(k)]
        for q in ps: q.start()
        for q in ps: q.join()
        if any(q.exitcode for q in ps): raise RuntimeError(f'bench: a forked run of the workload failed (exit codes {[q.exitcode for q in ps]})')
        return now() - t
    for name, f in work:
        if not name.startswith(PAIRED): continue
        once(f, 1)
        alone = statistics.median(once(f, 1) for _ in range(reps)); pair = statistics.median(once(f, 2) for _ in range(reps))
        rows.append(dict(workload=name, alone=alone, pair=pair, gain=2 * alone / pair))
    return rows

def decode_attention(rows=512, heads=4, cached=60, head=32, room=48, reps=5):
    """Why the in-place cache lost (figures in ms of CPU time, one thread, one decode step of one layer at the shapes of
    sampling b = 64 prompts × K = 8): attention over contiguous keys and values (what `DynamicLayer` hands it after its
    concatenation) against views of buffers with `room` slots to spare (what the in-place cache hands it), the
    concatenation it saves, and the removal of finished rows both ways (a gather of whole buffers, or into a view)."""
    import torch.nn.functional as F
    q = torch.randn(rows, heads, 1, head)
    k, v = torch.randn(rows, heads, cached, head), torch.randn(rows, heads, cached, head)
    buf = torch.randn(2, rows, heads, cached + room, head); kv, vv = buf[0][:, :, :cached], buf[1][:, :, :cached]
    keep = torch.arange(0, rows, 2)                                    # half the rows finished
    out = torch.empty(len(keep), heads, cached + room, head)
    ms = lambda f: timeit(f, reps=reps, warm=1, clock=time.process_time) * 1e3
    def inner(f, n=20):
        def g():
            for _ in range(n): f()
        return ms(g) / n
    attn = lambda a, b: F.scaled_dot_product_attention(q, a, b)
    flops = 4 * rows * heads * cached * head
    c, w = inner(lambda: attn(k, v)), inner(lambda: attn(kv, vv))
    return [dict(what='attention, contiguous keys and values (`DynamicLayer`)', ms=c, note=f'{flops / c / 1e6:.1f} GFLOP/s'),
            dict(what='attention, views of buffers with room (in place)', ms=w, note=f'{flops / w / 1e6:.1f} GFLOP/s; {w / c:.2f}× the contiguous'),
            dict(what='concatenating one token to keys and values (`DynamicLayer`, saved in place)', ms=inner(lambda: (torch.cat([k, q], 2), torch.cat([v, q], 2))), note=''),
            dict(what='removing finished rows, contiguous cache (`DynamicLayer`)', ms=inner(lambda: (k[keep], v[keep])), note=''),
            dict(what='removing finished rows, buffers with room (whole buffers gathered)', ms=inner(lambda: (buf[0][keep], buf[1][keep])), note=''),
            dict(what='removing finished rows, filled part gathered into a view of a new buffer', ms=inner(lambda: (torch.index_select(kv, 0, keep, out=out[:, :, :cached]),
                                                                                                                   torch.index_select(vv, 0, keep, out=out[:, :, :cached]))), note='')]

def inplace_sampler():
    """`raft_nb.raft.sample_ids` with a KV cache written in place (tried for issue #11, not adopted): after the prompt, every
    layer's keys and values go into buffers with room for `max_new_tokens` more; a step writes its token there and
    attention gets a view of the filled part, where 🤗's `DynamicLayer` concatenates (a copy of the cache per step)."""
    import inspect, raft_nb.raft as R
    from transformers.cache_utils import DynamicLayer
    class RoomLayer(DynamicLayer):
        def __init__(self, layer, room):
            super().__init__(); k, v = layer.keys, layer.values
            self.device, self.is_initialized, self.n = k.device, True, k.shape[-2]
            self._k, self._v = (torch.cat([x, x.new_empty(*x.shape[:2], room, x.shape[-1])], -2) for x in (k, v)); self._view()
        def _view(self): self.keys, self.values = self._k[:, :, :self.n], self._v[:, :, :self.n]
        def update(self, key_states, value_states, *args, **kwargs):
            t = key_states.shape[-2]
            self._k[:, :, self.n:self.n + t], self._v[:, :, self.n:self.n + t] = key_states, value_states
            self.n += t; self._view(); return self.keys, self.values
        def batch_select_indices(self, indices): self._k, self._v = self._k[indices], self._v[indices]; self._view()
    src, line = inspect.getsource(R.sample_ids), "    if K > 1: cache.batch_repeat_interleave(K)\n"
    if line not in src: raise RuntimeError('bench: raft_nb.raft.sample_ids changed; update inplace_sampler')
    ns = dict(vars(R), RoomLayer=RoomLayer)
    exec(src.replace(line, line + "    cache.layers = [RoomLayer(l, max_new_tokens) for l in cache.layers]\n"), ns)
    return ns['sample_ids']

def before_after(work, limit, reps):
    """Changes timed both ways side by side in this run: the bytecode caches (adopted) for a fresh process's imports,
    and the in-place KV cache (not adopted) for sampling."""
    import tempfile, raft_nb.raft as R
    from unittest import mock
    keep = {k: v for k, v in os.environ.items() if k not in ('PYTHONDONTWRITEBYTECODE', 'PYTHONPYCACHEPREFIX')}
    import_s(keep, 1)                                                           # writes the caches if they are missing
    none = dict(keep, PYTHONDONTWRITEBYTECODE='1', PYTHONPYCACHEPREFIX=tempfile.mkdtemp())   # an empty cache folder: compile all
    b, f = import_s(none), import_s(keep)
    out = [dict(change='bytecode caches (Makefile: `unexport PYTHONDONTWRITEBYTECODE`)', workload='a fresh process: `import raft_nb.runner`, wall s (median of 2)',
                without=b, with_=f, same='–', adopted='yes')]
    out += threads_rows(work, reps)
    inplace = inplace_sampler()
    for name, fn in work:
        if not name.startswith('sampling'): continue
        def changed(w, fn=fn):
            with mock.patch.object(R, 'sample_ids', inplace): return fn(w)
        same = 'yes' if fn(lambda *m: m[0]) == changed(lambda *m: m[0]) else 'NO'
        out.append(dict(change='KV cache written in place (`inplace_sampler`)', workload=f'{name}, CPU s (median of {reps})',
                        without=measure(name, fn, limit, reps)['cpu_s'], with_=measure(name, changed, limit, reps)['cpu_s'],
                        same=same, adopted='no'))
    return out

# --- the workloads ---------------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--base', default=None, help='a finished raft_align run: use its SFT model and reward model')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--out', default=None, help='write the table (Markdown) here, and the numbers as JSON beside it')
    ap.add_argument('--widths', type=int, nargs='*', default=None,
                    help='instead: the fraction of the limit of SFT, a log-probability pass and sampling for random GPT-2s of these widths')
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    try: pathlib.Path('/proc/self/autogroup').write_text('-15')                 # priority over other sessions' work
    except OSError: pass
    load0, t_start = load(), now()
    from raft_nb.config import make_config, RAFTConfig, PPOConfig, EvalConfig
    from raft_nb.pipeline import prepare_data, get_tokenizer, filter_prompts, unique
    from raft_nb.models import tiny_gpt2, load_policy, load_reward_model, load_tokenizer, RewardModel, response_logprobs
    from raft_nb.training import sft, train_reward_model, disable_dropout
    from raft_nb.raft import generate_ids, raft_stage, Evaluator
    from raft_nb.ppo import ppo_step, optimizers
    from raft_nb.world import gold_reward
    from raft_nb.loop import draw_prompts, write_atomic
    import copy, tempfile
    cfg = make_config()
    parts = prepare_data(cfg.data, log=lambda s: None)
    base = pathlib.Path(a.base) if a.base else None
    tok = load_tokenizer(base / 'tokenizer') if base else get_tokenizer(cfg, parts, pathlib.Path(tempfile.mkdtemp()))[0]
    parts, _ = filter_prompts(parts, tok, cfg, lambda s: None)
    mc = cfg.model
    if a.widths: return widths(a, tok, parts, mc, load0, t_start)      # random models of other widths: no default models needed
    if base: policy, rm_model, src = load_policy(base / 'sft', tok), load_reward_model(base / 'reward_model', tok), f'SFT model and reward model of the `raft_align` run `{base.name}`'
    else:
        torch.manual_seed(0); policy = tiny_gpt2(tok, mc.n_embd, mc.n_layer, n_positions=mc.n_positions)
        rm_model = tiny_gpt2(tok, mc.n_embd, mc.n_layer, n_positions=mc.n_positions, reward_model=True); src = 'random models of the default sizes'
    policy.eval(); disable_dropout(rm_model).eval()
    kn = gpt2_kn(mc.n_embd, mc.n_layer, len(tok))
    limit = MatmulLimit(kn + [(mc.n_embd, 1)])
    lim = dict(fwd_1=shapes_rate(512, kn, 1, False), train_1=shapes_rate(1664, kn, 1, True), fwd_2=shapes_rate(512, kn, 2, False),
               train_2=shapes_rate(1664, kn, 2, True), square_1=square_rate(2048, 1), square_2=square_rate(2048, 2))
    grid = [dict(rows=m, fwd=limit.rate(m, kn) / 1e9, train=limit.rate(m, kn, True) / 1e9) for m in M_GRID]
    load1 = load()
    sfd = parts['sft'].select(range(640)); pairs = parts['rm'].select(range(640))
    prompts = unique(parts['prompts']['prompt']); test = parts['test']
    samples = [tok.decode(r[0][:-1]) for r in generate_ids(policy, tok, prompts[:1024], K=1, seed=5)]
    ppo_cfg = PPOConfig(); critic = copy.deepcopy(rm_model)
    cp = copy.deepcopy
    def ppo_iter(w):
        p, cr = w(disable_dropout(cp(policy)), cp(critic)); ref = w(cp(policy))
        op, oc = optimizers(p, cr, ppo_cfg)
        ppo_step(p, ref, cr, op, oc, tok, RewardModel(w(cp(rm_model)), tok), draw_prompts(prompts, 64, 4), ppo_cfg, ppo_cfg.beta, 4)
    work = [('SFT: 20 steps of 32', lambda w: sft(w(cp(policy)), tok, list(sfd['prompt']), list(sfd['chosen']), 1, 2e-3, 32, 0)),
            ('reward model: 10 steps of 64 pairs', lambda w: train_reward_model(w(cp(rm_model)), tok, list(pairs['prompt']), list(pairs['chosen']),
                                                                                 list(pairs['rejected']), 1, 6e-4, 64, 0)),
            ('sampling: b = 128, K = 8', lambda w: generate_ids(w(cp(policy)), tok, prompts[:128], K=8, seed=1)),
            ('sampling: b = 128, K = 32', lambda w: generate_ids(w(cp(policy)), tok, prompts[:128], K=32, seed=2)),
            ('log-probabilities of 1,024 samples', lambda w: response_logprobs(w(cp(policy)), tok, prompts[:1024], samples)),
            ('reward-model scores of 1,024 samples', lambda w: RewardModel(w(cp(rm_model)), tok)(prompts[:1024], samples)),
            ('RAFT stage: b = 128, K = 8', lambda w: raft_stage(w(cp(policy)), tok, RewardModel(w(cp(rm_model)), tok),
                                                                  draw_prompts(prompts, 128, 3), RAFTConfig(), 3)),
            ('evaluation: 256 prompts × 8', lambda w: Evaluator(tok, list(test['prompt'][:256]), list(test['chosen'][:256]),
                                                                 RewardModel(w(cp(rm_model)), tok), EvalConfig(), gold_fn=gold_reward,
                                                                 ref=w(cp(policy)))(w(cp(policy)), seed=3)),
            ('PPO iteration: 64 rollouts, 4 epochs', ppo_iter)]
    rows = [measure(n, f, limit, a.reps) for n, f in work]
    paired = two_at_once(work, a.reps)                                         # before any change of thread count
    changes = before_after(work, limit, a.reps)
    attn_rows = decode_attention()
    breakdown = {n: profile(lambda: f(unwatched)) for n, f in work
                 if n.startswith(('SFT', 'sampling: b = 128, K = 8', 'RAFT stage'))}
    load2 = load()
    md = [f"# `tools/bench.py` — torch {torch.__version__}, 1 thread; {src}; load average {load0} at the start, {load1} after the limit, "
          f"{load2} at the end; {now() - t_start:.0f} s", '',
          '## The limit: single-thread GEMM GFLOP/s at the policy\'s shapes (CPU time)', '',
          '| rows (batch × tokens) | ' + ' | '.join(str(g['rows']) for g in grid) + ' |', '|---|' + '---|' * len(grid),
          '| forward | ' + ' | '.join(f"{g['fwd']:.0f}" for g in grid) + ' |',
          '| forward + backward | ' + ' | '.join(f"{g['train']:.0f}" for g in grid) + ' |', '',
          f"The same GEMMs timed together: forward at 512 rows {lim['fwd_1'] / 1e9:.0f} GFLOP/s with 1 thread, {lim['fwd_2'] / 1e9:.0f} with 2; "
          f"training at 1,664 rows {lim['train_1'] / 1e9:.0f} with 1 thread, {lim['train_2'] / 1e9:.0f} with 2. A 2048² matmul: "
          f"{lim['square_1'] / 1e9:.0f} GFLOP/s with 1 thread, {lim['square_2'] / 1e9:.0f} with 2 (wall time).", '',
          f"## The workloads (median of {a.reps})", '',
          '| workload | wall s | CPU s | tokens fed | real tokens | GEMM GFLOP | attention GFLOP | GEMM GFLOP/s (CPU) | limit s | of the limit | tokens/s |',
          '|---|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        md.append(f"| {r['workload']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['tokens_fed']:,} | {r['real_tokens']:,} | {r['gemm_gflop']:.1f} | "
                  f"{r['attn_gflop']:.1f} | {r['gemm_gflops']:.1f} | {r['limit_s']:.2f} | {r['of_limit']:.0%} | {r['tokens_per_s']:,.0f} |")
    md += ['', '"of the limit" = the time the workload\'s GEMMs take alone at the measured single-thread rates (limit s) over the '
           'workload\'s CPU time; the rest is attention, softmax, layer norms, the optimizer, Python and the libraries.']
    md += ['', '## Before and after (this run)', '',
           'Changes measured both ways side by side in this run. Bytecode caches: a fresh interpreter compiling every module '
           '(PYTHONDONTWRITEBYTECODE set and no caches, as every process of a run or a test was on this machine before the '
           'Makefile let Python write them) against one reading the caches a first import wrote. All cores: the workloads of '
           '`raft_align` (one process) timed with 1 thread and with every core, as `make align` runs them; the outputs '
           '(weights, losses, metrics) are compared by hash, 1 thread against all, and across the runs with all threads. In-place KV cache: the '
           'sampler with buffers that have room for every token to come (`inplace_sampler`) against the package\'s, which '
           'keeps 🤗\'s concatenating `DynamicLayer`. The fork servers\' saving is measured the same way by '
           '`tools/process_bench.py` (`figures/process_bench.md`).', '',
           '| change | workload | without | with | with / without | same output | adopted |', '|---|---|---|---|---|---|---|']
    for c in changes:
        md.append(f"| {c['change']} | {c['workload']} | {c['without']:.2f} | {c['with_']:.2f} | {c['with_'] / c['without']:.2f} | {c['same']} | {c['adopted']} |")
    md += ['', '## Two jobs at once (this run)', '',
           "The presets run `--jobs 2` processes of one thread each. Wall s (median of " + str(a.reps) + ") of a workload in one forked "
           "process alone, and of two forked processes running it at the same time (`two_at_once`); the throughput gain of the "
           "pair is 2 × alone / pair (2.00 if the two jobs did not slow each other down).", '',
           '| workload | alone, wall s | two at once, wall s | throughput gain |', '|---|---|---|---|']
    for r in paired: md.append(f"| {r['workload']} | {r['alone']:.2f} | {r['pair']:.2f} | {r['gain']:.2f}× |")
    md += ['', '## Why the in-place KV cache is slower (this run)', '',
           f"One decode step of one layer at sampling's shapes (64 prompts × K = 8 = 512 rows, 4 heads of 32, 60 tokens cached, room for 48 more), "
           "CPU ms, one thread (`decode_attention`):", '', '| operation | ms | note |', '|---|---|---|']
    for r in attn_rows: md.append(f"| {r['what']} | {r['ms']:.3f} | {r['note']} |")
    names = list(breakdown)
    md += ['', '## Where the CPU time goes (torch profiler, self time of the aten ops; one run each, profiling adds overhead)', '',
           '| share of CPU time | ' + ' | '.join(names) + ' |', '|---|' + '---|' * len(names)]
    for g in list(next(iter(breakdown.values()))[1]):
        md.append(f'| {g} | ' + ' | '.join(f"{breakdown[n][1][g] / breakdown[n][0]:.0%}" for n in names) + ' |')
    md.append('| CPU s under the profiler | ' + ' | '.join(f"{breakdown[n][0]:.2f}" for n in names) + ' |')
    text = '\n'.join(md) + '\n'
    print(text)
    if a.out:
        out = pathlib.Path(a.out); out.parent.mkdir(parents=True, exist_ok=True); write_atomic(out, text)
        write_atomic(out.with_suffix('.json'), json.dumps(dict(load=[load0, load1, load2], limit={k: v / 1e9 for k, v in lim.items()}, grid=grid,
                                                            rows=rows, source=src, before_after=changes, decode_attention=attn_rows, two_at_once=paired,
                                                            breakdown={n: dict(cpu_s=t, shares=sh) for n, (t, sh) in breakdown.items()}), indent=1))
    sys.stdout.flush(); os._exit(0)

def widths(a, tok, parts, mc, load0, t_start):
    """The same workloads for random GPT-2s of several widths (same depth, head size 32, same tokens): if the fraction of the
    limit rises with the width, what keeps the default model from the limit is its shapes (per token, GEMM work grows as
    width², the element-wise work, attention over the cache and the per-op overhead as width or not at all), not the code."""
    from raft_nb.models import tiny_gpt2, response_logprobs
    from raft_nb.training import sft
    from raft_nb.raft import generate_ids
    from raft_nb.pipeline import unique
    from raft_nb.loop import write_atomic
    import copy; cp = copy.deepcopy
    sfd = parts['sft'].select(range(640)); prompts = unique(parts['prompts']['prompt'])
    torch.manual_seed(0); small = tiny_gpt2(tok, mc.n_embd, mc.n_layer, n_positions=mc.n_positions).eval()
    samples = [tok.decode(r[0][:-1]) for r in generate_ids(small, tok, prompts[:1024], K=1, seed=5, max_new_tokens=40)]
    rows = []
    for d in a.widths:
        torch.manual_seed(0); model = tiny_gpt2(tok, d, mc.n_layer, n_head=max(1, d // 32), n_positions=mc.n_positions).eval()
        kn = gpt2_kn(d, mc.n_layer, len(tok)); limit = MatmulLimit(kn)
        work = [('SFT: 20 steps of 32', lambda w: sft(w(cp(model)), tok, list(sfd['prompt']), list(sfd['chosen']), 1, 2e-3, 32, 0)),
                ('log-probabilities of 1,024 samples', lambda w: response_logprobs(w(model), tok, prompts[:1024], samples)),
                ('sampling: b = 128, K = 8, 40 tokens', lambda w: generate_ids(w(model), tok, prompts[:128], K=8, seed=1, max_new_tokens=40))]
        for name, f in work:
            r = measure(name, f, limit, a.reps); r.update(width=d, params=sum(p.numel() for p in model.parameters())); rows.append(r)
            print(f"width {d}: {name}: {r['of_limit']:.0%} of the limit ({r['cpu_s']:.2f} CPU s)", flush=True)
    load2 = load(); names = list(dict.fromkeys(r['workload'] for r in rows))
    md = [f"# `tools/bench.py --widths` — torch {torch.__version__}, 1 thread; random GPT-2s, {mc.n_layer} layers, head size 32, "
          f"vocabulary {len(tok)}; load average {load0} at the start, {load2} at the end; {now() - t_start:.0f} s; median of {a.reps}", '',
          'Fraction of the single-thread GEMM limit (measured in this run at each width\'s shapes), and the achieved GEMM GFLOP/s (CPU time):', '',
          '| width (parameters) | ' + ' | '.join(names) + ' |', '|---|' + '---|' * len(names)]
    for d in a.widths:
        rs = {r['workload']: r for r in rows if r['width'] == d}
        md.append(f"| {d} ({rs[names[0]]['params'] / 1e6:.1f}M) | " +
                  ' | '.join(f"{rs[n]['of_limit']:.0%} ({rs[n]['gemm_gflops']:.0f})" for n in names) + ' |')
    md += ['', f'Width {mc.n_embd} is the default policy\'s. Sampling from random models runs every response to its 40 tokens.']
    text = '\n'.join(md) + '\n'; print(text)
    if a.out:
        out = pathlib.Path(a.out); out.parent.mkdir(parents=True, exist_ok=True); write_atomic(out, text)
        write_atomic(out.with_suffix('.json'), json.dumps(dict(load=[load0, load2], rows=rows), indent=1))
    sys.stdout.flush(); os._exit(0)

if __name__ == '__main__': main()

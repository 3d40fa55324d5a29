"""The memory claim, measured (issue #12): peak memory of one RAFT stage against one PPO iteration at equal samples.

    .venv/bin/python tools/memory_bench.py [--quick] [--out figures/memory.md] [--jobs N]          (make memory)

Models from configs: random GPT-2s with the package's own tokenizer of the embedded world (512 tokens), of ~26M
(n_embd 512 × 8 layers) and ~128M parameters (n_embd 768 × 18 layers: GPT-2 small's width, with the depth that makes
up for a small vocabulary's embeddings); `--quick`: two tiny ones. Policy, reward model and critic have one shape.
For each size, with full fine-tuning and with LoRA (`TrainConfig.lora_r`), four runs of the package's own code paths,
each in its own fresh process:

* RAFT:                   `run_raft` for 1 stage (K = 8), `TrainConfig(decoupled=False)`, a resident `RewardModel`;
* RAFT decoupled:         the same with `decoupled=True` and the `LazyRewardModel` that `prepare_run` then sets up;
* PPO:                    `run_ppo` for 1 iteration on b·K prompts with one response each (the same number of samples),
                          policy, reference, critic and reward model in memory;
* PPO, lazy reward model: the same with the `LazyRewardModel` that `prepare_run` gives PPO too when `decoupled=True`.

Both methods also evaluate a few test prompts before and after, and save the stage, as they do in a run.
Each run reports its peak resident set (VmHWM of /proc/self/status, reset when the process starts, through
/proc/self/clear_refs), the same less the baseline (a process that imported torch, transformers, peft and raft_nb and
read the tokenizer and prompts, but holds no model), the peak RSS of each phase (a thread samples VmRSS every 5 ms), an
accounting of torch memory at every optimizer step (parameter and buffer bytes of every live module, gradients,
optimizer state, and the activations saved for backward since the previous step), and the wall and CPU time of the
stage (`raft_stage` / `ppo_step`) and of the whole run. Runs are forked from one idle fork server that has imported
the libraries (multiprocessing's `forkserver`): each starts fresh without paying the imports again (`--spawn`: a new
interpreter for every run instead). Writes the table (Markdown, atomically), the numbers as JSON beside it, and the
figure of peak memory against model size (`--figure`, default: the table's path with .png).

The sizes are kept small enough for the whole tool to run in minutes on two CPU cores: b = 2 prompts × K = 8 (16
samples), max_new_tokens = 16, fine-tuning batches of 2 (RAFT: its 2 kept samples; PPO: 1 epoch in minibatches of 2,
8 steps). What memory holds while fine-tuning is the same at any b: parameters, gradients and optimizer state of the
models that are trained, the other models' parameters, and the activations of one batch; a larger fine-tuning batch
adds activations to both methods (PPO's twice: it trains policy and critic together), which moves the ratio towards
1/2 from below. Not so sampling: RAFT samples K responses for each of `gen_batch_size` prompts at once, PPO one, so
RAFT's KV cache is K times PPO's — 2 × n_layer × rows × tokens × n_embd × 4 bytes, about 1.9 GB at 128M with the
default gen_batch_size = 64 (512 rows of 34 tokens), four times the policy. With b that large, lower gen_batch_size.
"""
from __future__ import annotations
import argparse, concurrent.futures, contextlib, functools, gc, json, math, multiprocessing as mp, os, pathlib, shutil, sys, tempfile, threading, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
PRELOAD = ['torch', 'transformers', 'peft', 'datasets', 'safetensors.torch', 'raft_nb.raft', 'raft_nb.ppo', 'raft_nb.pipeline']

FULL = dict(sizes=[dict(name='26M', n_embd=512, n_layer=8, n_head=8), dict(name='128M', n_embd=768, n_layer=18, n_head=12)],
            b=2, K=8, max_new_tokens=16, batch=2, n_test=2, lora_r=16, world_size=12000)
QUICK = dict(sizes=[dict(name='tiny-1', n_embd=32, n_layer=2, n_head=2), dict(name='tiny-2', n_embd=64, n_layer=2, n_head=2)],
             b=2, K=8, max_new_tokens=8, batch=2, n_test=2, lora_r=4, world_size=1200)
CASES = [('raft', 'normal'), ('raft', 'decoupled'), ('ppo', 'normal'), ('ppo', 'decoupled')]
CASE_NAMES = {'raft': ('raft', 'normal'), 'raft-decoupled': ('raft', 'decoupled'), 'ppo': ('ppo', 'normal'), 'ppo-lazy': ('ppo', 'decoupled')}
LABEL = {('raft', 'normal'): 'RAFT', ('raft', 'decoupled'): 'RAFT decoupled', ('ppo', 'normal'): 'PPO',
         ('ppo', 'decoupled'): 'PPO, lazy reward model'}

def write_atomic(path, text: str):
    path = pathlib.Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.name}.tmp-{os.getpid()}')
    tmp.write_text(text); os.replace(tmp, path)

# --- measuring, inside a run's process -----------------------------------------------------------------------------
def status_kb(key: str) -> int:
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'): return int(line.split()[1])
    raise KeyError(key)

def reset_peak():
    "Set this process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0)."
    with open('/proc/self/clear_refs', 'w') as f: f.write('5')

class Phases(threading.Thread):
    "Samples VmRSS every `dt` s into the peak of the current phase; `wrap` marks a function's calls as a phase."
    def __init__(self, dt: float = 0.005):
        super().__init__(daemon=True); self.dt, self.stack, self.peak, self.time, self.cpu, self.done = dt, ['other'], {}, {}, {}, False
    def run(self):
        while not self.done:
            ph, rss = self.stack[-1], status_kb('VmRSS')
            if rss > self.peak.get(ph, 0): self.peak[ph] = rss
            time.sleep(self.dt)
    def wrap(self, owner, name, phase):
        f = getattr(owner, name)
        @functools.wraps(f)
        def g(*a, **k):
            inner = next((p for p in ('evaluation', 'saving') if p in self.stack), phase)   # what an evaluation samples is evaluation
            outer = inner not in self.stack; self.stack.append(inner); t, c = time.perf_counter(), time.process_time()
            try: return f(*a, **k)
            finally:
                self.stack.pop()
                if outer:
                    self.time[inner] = self.time.get(inner, 0.0) + time.perf_counter() - t
                    self.cpu[inner] = self.cpu.get(inner, 0.0) + time.process_time() - c
        setattr(owner, name, g)

class Account:
    """Torch memory by kind at every optimizer step: parameter and buffer bytes of every live module, gradients, optimizer
    state, and the activations saved for backward since the previous step (unique storages; parameters excluded).
    The live modules are found by the garbage collector at the first step of each optimizer (they do not change while it
    trains); gradients and optimizer state are read from the optimizers every step."""
    def __init__(self):
        import torch, weakref
        from torch.optim.optimizer import register_optimizer_step_post_hook
        self.torch, self.saved, self.steps, self.opts, self.params = torch, {}, [], weakref.WeakValueDictionary(), {}
        register_optimizer_step_post_hook(self.on_step)
        self.hooks = torch.autograd.graph.saved_tensors_hooks(self.pack, lambda t: t)
    def pack(self, t):
        try: s = t.untyped_storage(); self.saved[s.data_ptr()] = s.nbytes()
        except Exception: pass                     # a tensor without storage (e.g. a functional wrapper): nothing to count
        return t
    def live_parameters(self) -> dict:
        torch, params = self.torch, {}
        for o in gc.get_objects():
            if isinstance(o, torch.nn.Module):
                for t in list(o.parameters(recurse=False)) + list(o.buffers(recurse=False)):
                    s = t.untyped_storage(); params[s.data_ptr()] = s.nbytes()
        return params
    def on_step(self, optimizer, args, kwargs):
        torch = self.torch
        if id(optimizer) not in self.opts: self.opts[id(optimizer)] = optimizer; self.params = self.live_parameters()
        grads, opt = {}, {}
        for o in list(self.opts.values()):
            for g in o.param_groups:
                for p in g['params']:
                    if p.grad is not None: s = p.grad.untyped_storage(); grads[s.data_ptr()] = s.nbytes()
            for st in o.state.values():
                for v in st.values():
                    if torch.is_tensor(v) and v.numel() > 1: s = v.untyped_storage(); opt[s.data_ptr()] = s.nbytes()
        known = self.params.keys() | grads.keys() | opt.keys()
        s = dict(parameters=sum(self.params.values()), gradients=sum(grads.values()), optimizer=sum(opt.values()),
                 activations=sum(n for p, n in self.saved.items() if p not in known))
        self.saved.clear(); s['total'] = sum(s.values()); self.steps.append(s)
    def peak(self) -> dict:
        if not self.steps: return dict(parameters=0, gradients=0, optimizer=0, activations=0, total=0)
        return max(self.steps, key=lambda s: s['total'])

def run_case(spec: dict, work: str, result: str):
    "One measured run (or the baseline, or the setup) in this fresh process; the numbers go to `result` as JSON."
    import torch, warnings
    from transformers.utils import logging as hf_logging
    import datasets
    torch.set_num_threads(1); warnings.filterwarnings('ignore'); hf_logging.disable_progress_bar(); datasets.disable_progress_bars()
    reset_peak(); t_start = time.perf_counter(); rss0 = status_kb('VmRSS')
    work = pathlib.Path(work)
    if spec['task'] == 'setup': out = setup(spec, work)
    else:
        from raft_nb.models import load_tokenizer
        tok = load_tokenizer(work / 'tokenizer')
        data = json.loads((work / 'prompts.json').read_text())
        torch.ones(64, 64) @ torch.ones(64, 64)
        out = dict(peak_kb=status_kb('VmHWM')) if spec['task'] == 'baseline' else measure(spec, work, tok, data)
    out.update(start_kb=rss0, process_s=time.perf_counter() - t_start)
    write_atomic(result, json.dumps(out))
    sys.stdout.flush(); sys.stderr.flush()

def setup(spec: dict, work: pathlib.Path) -> dict:
    "The tokenizer and prompts of the embedded world, and a random policy and reward model of each size, saved to `work`."
    import torch
    from raft_nb.config import make_config
    from raft_nb.pipeline import prepare_data, get_tokenizer, filter_prompts, unique
    from raft_nb.models import tiny_gpt2
    cfg = make_config(max_new_tokens=spec['max_new_tokens'], world_size=spec['world_size'])
    parts = prepare_data(cfg.data, log=lambda s: None)
    tok = get_tokenizer(cfg, parts, work)[0]; tok.save_pretrained(work / 'tokenizer')
    parts, _ = filter_prompts(parts, tok, cfg, lambda s: None)
    first = {}
    for i, p in enumerate(parts['test']['prompt']): first.setdefault(p, i)
    test = parts['test'].select(list(first.values()))
    write_atomic(work / 'prompts.json', json.dumps(dict(train=unique(parts['prompts']['prompt']), test=list(test['prompt']),
                                                        chosen=list(test['chosen']))))
    sizes = {}
    for s in spec['sizes']:
        torch.manual_seed(0)
        for kind, rm in (('policy', False), ('reward_model', True)):
            m = tiny_gpt2(tok, s['n_embd'], s['n_layer'], s['n_head'], n_positions=128, reward_model=rm)
            m.save_pretrained(work / s['name'] / kind); tok.save_pretrained(work / s['name'] / kind)
            if kind == 'policy': sizes[s['name']] = sum(p.numel() for p in m.parameters())
            del m; gc.collect()
    return dict(parameters=sizes, vocab=len(tok), mean_prompt_tokens=sum(len(x) for x in tok(unique(parts['prompts']['prompt']))['input_ids']) /
                len(unique(parts['prompts']['prompt'])))

def measure(spec: dict, work: pathlib.Path, tok, data: dict) -> dict:
    "One RAFT stage (`run_raft`, 1 stage) or one PPO iteration (`run_ppo`, 1 rollout) as the package runs them."
    import torch
    import raft_nb.raft as R, raft_nb.ppo as P, raft_nb.loop as L, raft_nb.training as T
    from raft_nb.config import RAFTConfig, PPOConfig, TrainConfig, EvalConfig
    from raft_nb.models import load_policy, load_reward_model, RewardModel, LazyRewardModel
    ph = Phases(); ph.start()
    for owner, name, phase in [(R, 'generate', 'sampling'), (R, 'checked_rewards', 'scoring'), (R, 'response_logprobs', 'log-probabilities'),
                               (R, 'sft', 'fine-tuning'), (R.Evaluator, '__call__', 'evaluation'), (L, 'save_stage', 'saving'),
                               (T, 'park', 'parking'), (T, 'unpark', 'parking'), (P, 'generate_ids', 'sampling'),
                               (P, 'checked_rewards', 'scoring'), (P, 'ppo_step', 'PPO update'), (R, 'raft_stage', 'stage')]:
        ph.wrap(owner, name, phase)
    acc = Account()
    size, d = spec['size'], work / spec['size']
    tc = TrainConfig(lora_r=spec['lora_r'], decoupled=spec['mode'] == 'decoupled')
    out = pathlib.Path(tempfile.mkdtemp(prefix='membench-run-', dir=work))
    policy = load_policy(d / 'policy', tok)
    n_params = sum(p.numel() for p in policy.parameters())
    lazy = T.is_decoupled(tc, policy)           # as `prepare_run` chooses the reward function
    reward_fn = LazyRewardModel(d / 'reward_model', tok) if lazy else RewardModel(load_reward_model(d / 'reward_model', tok), tok)
    b, K, mnt, n = spec['b'], spec['K'], spec['max_new_tokens'], spec['n_test']
    ev = R.Evaluator(tok, data['test'][:n], data['chosen'][:n], reward_fn, EvalConfig(n_test=n, eval_best_of=1), mnt, 64)
    t0, c0 = time.perf_counter(), time.process_time()
    with acc.hooks:
        if spec['method'] == 'raft':
            cfg = RAFTConfig(b=b, K=K, stages=1, epochs=1, batch_size=spec['batch'], max_new_tokens=mnt)
            pol, rows = R.run_raft(policy, tok, reward_fn, data['train'], cfg, out, ev, log=lambda s: None, tc=tc)
        else:
            cfg = PPOConfig(rollout_batch=b * K, rollouts_per_stage=1, stages=1, ppo_epochs=1, mini_batch=spec['batch'], max_new_tokens=mnt)
            critic = load_reward_model(d / 'reward_model', tok)
            pol, rows = P.run_ppo(policy, critic, tok, reward_fn, data['train'], cfg, out, ev, log=lambda s: None, tc=tc)
    run_s, run_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    ph.done = True; ph.join()
    trainable = sum(p.numel() for p in pol.parameters() if p.requires_grad)
    samples = rows[-1]['samples_generated']
    shutil.rmtree(out, ignore_errors=True)
    stage = 'stage' if spec['method'] == 'raft' else 'PPO update'
    return dict(peak_kb=status_kb('VmHWM'), phase_peak_kb=ph.peak, phase_s=ph.time, phase_cpu_s=ph.cpu, run_s=run_s, run_cpu_s=run_cpu_s,
                stage_s=ph.time[stage], stage_cpu_s=ph.cpu[stage],
                accounted=acc.peak(), steps=len(acc.steps), parameters=n_params, trainable=trainable, samples=samples, lazy_reward=lazy)

# --- the driver ------------------------------------------------------------------------------------------------------
def launch(ctx, spec, work) -> dict:
    res = pathlib.Path(work) / f"result-{spec['task']}-{spec.get('size', '')}-{spec.get('method', '')}-{spec.get('mode', '')}-{spec.get('lora_r', '')}.json"
    p = ctx.Process(target=run_case, args=(spec, str(work), str(res))); p.start(); p.join()
    if p.exitcode != 0 or not res.exists(): raise RuntimeError(f"run {spec} failed (exit code {p.exitcode})")
    return json.loads(res.read_text())

GB = 2 ** 30
def gb(kb): return kb * 1024 / GB

def table(rows, base_kb, setup, S, load0, load1, seconds, how, jobs) -> str:
    md = [f"# Peak memory: one RAFT stage against one PPO iteration at equal samples (`tools/memory_bench.py{' --quick' if S['sizes'][0]['name'].startswith('tiny') else ''}`)", '',
          f"{how}, {jobs} at a time; torch, 1 thread, CPU; load average {load0} at the start, {load1} at the end; {seconds:.0f} s in all.", '',
          f"Models: random GPT-2s from configs with the package's tokenizer of the embedded world (vocabulary {setup['vocab']}), "
          f"policy, reward model and critic of one shape: " +
          ', '.join(f"{s['name']} = {setup['parameters'][s['name']]:,} parameters (n_embd {s['n_embd']}, n_layer {s['n_layer']}, n_head {s['n_head']})"
                    for s in S['sizes']) + '.',
          f"RAFT: `run_raft` for 1 stage, b = {S['b']}, K = {S['K']} ({S['b'] * S['K']} samples), fine-tuning 1 epoch on the {S['b']} kept "
          f"samples in batches of {S['batch']}; PPO: `run_ppo` for 1 iteration on {S['b'] * S['K']} prompts × 1 response (the same "
          f"{S['b'] * S['K']} samples), 1 PPO epoch in minibatches of {S['batch']}; max_new_tokens = {S['max_new_tokens']} "
          f"(prompts {setup['mean_prompt_tokens']:.0f} tokens on average); both evaluate {S['n_test']} test prompts before and after, and save the stage. "
          f"LoRA: r = {S['lora_r']} on policy (and critic), peft's default targets.", '',
          f"Baseline (a process that imported torch, transformers, peft and raft_nb and read the tokenizer and prompts): "
          f"{gb(base_kb):.2f} GiB. \"RSS\" is the peak resident set (VmHWM) of the run's process; \"− base\" subtracts the baseline. "
          "\"Accounted\" is torch memory at the heaviest optimizer step: parameters and buffers of every live module + gradients + "
          "optimizer state + the activations saved for backward (unique storages, parameters excluded).", '',
          '| model | fine-tuning | method | RSS GiB | RSS − base GiB | accounted GiB (params / grads / optim / activ.) | phase of the peak | stage s (CPU s) | run s (CPU s) |',
          '|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        a = r['accounted']; pk = max(r['phase_peak_kb'], key=r['phase_peak_kb'].get)
        md.append(f"| {r['size']} | {r['ft']} | {LABEL[r['method'], r['mode']]} | {gb(r['peak_kb']):.2f} | {gb(r['peak_kb'] - base_kb):.2f} | "
                  f"{a['total'] / GB:.2f} ({a['parameters'] / GB:.2f} / {a['gradients'] / GB:.2f} / {a['optimizer'] / GB:.2f} / {a['activations'] / GB:.2f}) | "
                  f"{pk} | {r['stage_s']:.1f} ({r['stage_cpu_s']:.1f}) | {r['run_s']:.1f} ({r['run_cpu_s']:.1f}) |")
    md += ['', '## RAFT / PPO', '', '| model | fine-tuning | comparison | RSS − base | RSS | accounted | stage CPU time | ≤ 0.5 (RSS − base) |',
           '|---|---|---|---|---|---|---|---|']
    for r in ratios(rows, base_kb):
        md.append(f"| {r['size']} | {r['ft']} | {r['label']} | {r['rss_net']:.2f} | {r['rss']:.2f} | {r['accounted']:.2f} | {r['time']:.2f} | "
                  f"{'yes' if r['rss_net'] <= 0.5 else 'no'} |")
    md += ['', '## Peak RSS by phase (GiB, sampled every 5 ms)', '',
           '"other": loading the models, the reference copy, the optimizers, the stage loop itself; "stage": the rest of `raft_stage` '
           '(ranking, parking); a phase inside the evaluation counts as evaluation. Freed memory that the allocator keeps counts '
           'in the phases after it.', '']
    order = ['other', 'evaluation', 'stage', 'sampling', 'log-probabilities', 'parking', 'scoring', 'fine-tuning', 'PPO update', 'saving']
    phases = sorted({p for r in rows for p in r['phase_peak_kb']}, key=lambda p: order.index(p) if p in order else len(order))
    md += ['| model | fine-tuning | method | ' + ' | '.join(phases) + ' |', '|---|---|---|' + '---|' * len(phases)]
    for r in rows:
        md.append(f"| {r['size']} | {r['ft']} | {LABEL[r['method'], r['mode']]} | " +
                  ' | '.join(f"{gb(r['phase_peak_kb'][p]):.2f}" if p in r['phase_peak_kb'] else '' for p in phases) + ' |')
    return '\n'.join(md) + '\n'

def ratios(rows, base_kb) -> list[dict]:
    by = {(r['size'], r['ft'], r['method'], r['mode']): r for r in rows}
    out = []
    for size in dict.fromkeys(r['size'] for r in rows):
        for ft in dict.fromkeys(r['ft'] for r in rows):
            for (rm, pm, label) in [('normal', 'normal', 'RAFT / PPO'), ('decoupled', 'normal', 'RAFT decoupled / PPO'),
                                    ('decoupled', 'decoupled', 'RAFT decoupled / PPO with a lazy reward model')]:
                a, p = by.get((size, ft, 'raft', rm)), by.get((size, ft, 'ppo', pm))
                if a is None or p is None: continue
                out.append(dict(size=size, ft=ft, label=label, raft=rm, ppo=pm,
                                rss_net=(a['peak_kb'] - base_kb) / (p['peak_kb'] - base_kb), rss=a['peak_kb'] / p['peak_kb'],
                                accounted=a['accounted']['total'] / p['accounted']['total'], time=a['stage_cpu_s'] / p['stage_cpu_s']))
    return out

def figure(rows, base_kb, path):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2), sharey=True)
    styles = {('raft', 'normal'): ('C0', 'o', '--'), ('raft', 'decoupled'): ('C0', 's', '-'), ('ppo', 'normal'): ('C3', 'o', '-'),
              ('ppo', 'decoupled'): ('C3', 's', '--')}
    for ax, ft in zip(axes, ('full', 'LoRA')):
        for key, (c, m, ls) in styles.items():
            rs = sorted((r for r in rows if r['ft'] == ft and (r['method'], r['mode']) == key), key=lambda r: r['parameters'])
            if not rs: continue
            x = [r['parameters'] / 1e6 for r in rs]
            ax.plot(x, [gb(r['peak_kb'] - base_kb) for r in rs], ls=ls, marker=m, c=c, label=f"{LABEL[key]}: RSS − baseline")
            ax.plot(x, [r['accounted']['total'] / GB for r in rs], ls=':', marker=m, c=c, alpha=.5, mfc='none', label=f"{LABEL[key]}: accounted torch memory")
        ax.set(xlabel='parameters per model', title=f'{ft} fine-tuning', xscale='log', yscale='log')
        xs = sorted({r['parameters'] for r in rows})
        ax.set_xticks([x / 1e6 for x in xs], [f'{x / 1e6:.0f}M' if x >= 1e6 else f'{x / 1e3:.0f}k' for x in xs]); ax.minorticks_off()
        ax.grid(alpha=.3, which='both')
    axes[0].set_ylabel('peak memory (GiB)')
    h, l = axes[0].get_legend_handles_labels(); fig.legend(h, l, loc='lower center', ncol=4, fontsize=8)
    fig.suptitle('Peak memory of one RAFT stage (K = 8) and one PPO iteration at equal samples')
    fig.tight_layout(rect=(0, 0.11, 1, 1))
    path = pathlib.Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.name}.tmp-{os.getpid()}'); fig.savefig(tmp, dpi=110, format='png'); os.replace(tmp, path)
    plt.close(fig)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true', help='two tiny models and small settings (under a minute): a check of the tool')
    ap.add_argument('--out', default=None, help='the Markdown table (default figures/memory.md; with --quick, runs/memory_quick.md)')
    ap.add_argument('--figure', default=None, help='the figure (default: the table\'s path with .png)')
    ap.add_argument('--spawn', action='store_true', help='start every run from a new interpreter instead of the fork server')
    ap.add_argument('--jobs', type=int, default=None, help='runs at a time (default 1; with --quick 2): more skews the wall times, not the memory')
    ap.add_argument('--sizes', default=None, help='comma-separated names of the sizes to run (default: all of the mode)')
    ap.add_argument('--cases', default=None, help='comma-separated runs to make, of ' + ', '.join(CASE_NAMES) + ' (default: all)')
    ap.add_argument('--render', default=None, metavar='JSON', help="rebuild the table and the figure from a run's JSON, measuring nothing")
    ap.add_argument('--work', default=None, help='scratch directory for the models (default: a temporary one, removed at the end)')
    a = ap.parse_args(argv)
    S = QUICK if a.quick else FULL
    jobs = a.jobs or (2 if a.quick else 1)
    if a.sizes:
        names = [n.strip() for n in a.sizes.split(',')]
        bad = [n for n in names if n not in {s['name'] for s in S['sizes']}]
        if bad: raise SystemExit(f"--sizes: unknown size {bad[0]!r} (choose from {', '.join(s['name'] for s in S['sizes'])})")
        S = dict(S, sizes=[s for s in S['sizes'] if s['name'] in names])
    cases = CASES
    if a.cases:
        names = [n.strip() for n in a.cases.split(',')]
        bad = [n for n in names if n not in CASE_NAMES]
        if bad: raise SystemExit(f"--cases: unknown run {bad[0]!r} (choose from {', '.join(CASE_NAMES)})")
        cases = [c for c in CASES if c in {CASE_NAMES[n] for n in names}]
    if jobs < 1: raise SystemExit(f"--jobs must be positive, got {jobs}")
    out = pathlib.Path(a.out or ('runs/memory_quick.md' if a.quick else 'figures/memory.md'))
    fig = pathlib.Path(a.figure) if a.figure else out.with_suffix('.png')
    if a.render:
        d = json.loads(pathlib.Path(a.render).read_text())
        text = table(d['rows'], d['baseline_kb'], d['setup'], d['settings'], tuple(d['load'][0]), tuple(d['load'][1]), d['seconds'], d['how'], d['jobs'])
        write_atomic(out, text)
        if pathlib.Path(a.render).resolve() != out.with_suffix('.json').resolve(): write_atomic(out.with_suffix('.json'), json.dumps(d, indent=1))
        figure(d['rows'], d['baseline_kb'], fig); print(text); return
    load0, t0 = tuple(round(x, 2) for x in os.getloadavg()), time.perf_counter()
    ctx = mp.get_context('spawn' if a.spawn else 'forkserver')
    if not a.spawn: ctx.set_forkserver_preload(PRELOAD)
    how = ('every run in a new interpreter (multiprocessing spawn)' if a.spawn else
           'every run in a fresh process forked from an idle server that imported the libraries (multiprocessing forkserver)')
    work = pathlib.Path(a.work) if a.work else pathlib.Path(tempfile.mkdtemp(prefix='membench-'))
    work.mkdir(parents=True, exist_ok=True)
    try:
        setup_res = launch(ctx, dict(task='setup', sizes=S['sizes'], max_new_tokens=S['max_new_tokens'], world_size=S['world_size']), work)
        base = launch(ctx, dict(task='baseline'), work)['peak_kb']
        print(f"setup {setup_res['process_s']:.0f} s; baseline {gb(base):.2f} GiB", flush=True)
        specs = [dict(task='measure', size=s['name'], ft=ft, method=method, mode=mode, lora_r=r,
                      **{k: S[k] for k in ('b', 'K', 'max_new_tokens', 'batch', 'n_test')})
                 for s in S['sizes'] for ft, r in (('full', 0), ('LoRA', S['lora_r'])) for method, mode in cases]
        def one(spec):
            res = launch(ctx, spec, work); res.update({k: spec[k] for k in ('size', 'ft', 'method', 'mode')})
            print(f"{spec['size']:>7} {spec['ft']:>4} {LABEL[spec['method'], spec['mode']]:<24} peak {gb(res['peak_kb']):.2f} GiB "
                  f"(− base {gb(res['peak_kb'] - base):.2f}), accounted {res['accounted']['total'] / GB:.2f} GiB, stage {res['stage_s']:.1f} s, "
                  f"process {res['process_s']:.0f} s", flush=True)
            return res
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool: rows = list(pool.map(one, specs))
        load1 = tuple(round(x, 2) for x in os.getloadavg())
        seconds = time.perf_counter() - t0
        text = table(rows, base, setup_res, S, load0, load1, seconds, how, jobs)
        write_atomic(out, text)
        write_atomic(out.with_suffix('.json'), json.dumps(dict(settings=S, setup=setup_res, baseline_kb=base, rows=rows, ratios=ratios(rows, base),
                                                               load=[load0, load1], seconds=seconds, how=how, jobs=jobs), indent=1))
        figure(rows, base, fig)
        print(text, flush=True)
    finally:
        if not a.work: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()

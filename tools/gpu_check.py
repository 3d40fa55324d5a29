"""The GPU check (issue 12): the pipeline end to end on one CUDA device, with a ~300M-parameter GPT-2 built from a config.

    tools/gpu_check.sh [OUT]                      (or: make gpu-check; or: python tools/gpu_check.py --out OUT)

Nothing comes from the hub: a GPT-2-medium-shaped policy (24 layers × 1024, 16 heads, ~303M parameters with the
embedded world's 512-token vocabulary) is initialised at random and saved to OUT/policy, then every phase runs in
a process of its own (so that each peak memory is that phase's alone), all with bf16 mixed-precision fine-tuning:

    prepare         SFT and the reward model (shared by every method below through --base)
    raft            2 RAFT stages (b = 128, K = 8), every model in memory (decoupled: false)
    ppo             1 PPO iteration (rollout of 128 prompts, 4 epochs of minibatches of 32)
    raft_decoupled  2 RAFT stages, one model in memory at a time (TrainConfig.decoupled)
    raft_lora       2 RAFT stages fine-tuning LoRA adapters of rank 16 (TrainConfig.lora_r)

It prints, per phase: tokens/s sampled (our KV-cache sampler, training and evaluation sampling together),
samples/s trained (transformers.Trainer's own figure; for PPO, rollout samples × PPO epochs over the time of the
update, i.e. the iteration less its sampling and scoring), peak GPU memory (torch.cuda.max_memory_allocated) and
wall time; then the RAFT/PPO ratios of peak memory. It is sized to finish in well under 8 minutes on an H200
(not yet measured: no GPU was available when it was written). Without CUDA it runs the same phases at tiny sizes
on the CPU (peak RSS instead of GPU memory), which is what tests/test_gpu_check.py runs.
"""
from __future__ import annotations
import argparse, json, os, pathlib, resource, subprocess, sys, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))

SIZES = {
    'gpu': dict(model=dict(n_embd=1024, n_layer=24, n_head=16, n_positions=256),
                run=dict(world_size=6000, sft_epochs=1, sft_lr=3e-4, sft_batch_size=32, rm_epochs=1, rm_lr=1e-4, rm_batch_size=32,
                         n_test=128, eval_best_of=4, max_new_tokens=48, gen_batch_size=64, precision='bf16'),
                raft=dict(b=128, K=8, stages=2, epochs=1, lr=1e-5, batch_size=32),
                ppo=dict(rollout_batch=128, rollouts_per_stage=1, stages=1, mini_batch=32, ppo_epochs=4, lr=1e-6, critic_lr=1e-6),
                lora_r=16),
    'cpu': dict(model=dict(n_embd=48, n_layer=2, n_head=4, n_positions=128),
                run=dict(world_size=1200, sft_epochs=1, sft_batch_size=32, rm_epochs=1, rm_batch_size=32,
                         n_test=16, eval_best_of=2, max_new_tokens=24, gen_batch_size=16, precision='bf16'),
                raft=dict(b=16, K=4, stages=2, epochs=1, batch_size=16),
                ppo=dict(rollout_batch=16, rollouts_per_stage=1, stages=1, mini_batch=8, ppo_epochs=2),
                lora_r=4),
}
PHASES = ('prepare', 'raft', 'ppo', 'raft_decoupled', 'raft_lora')

def save_policy(d, n_embd: int, n_layer: int, n_head: int, n_positions: int, world_size: int = 1200, dropout: float | None = None):
    "A randomly initialised GPT-2 of this shape with a tokenizer trained on the embedded world, saved to `d` (a `policy:` path)."
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    from raft_nb.world import make_world
    from raft_nb.data import parse_records
    from raft_nb.models import train_tokenizer
    rows, _ = parse_records(make_world(world_size, seed=0))
    tok = train_tokenizer([r['prompt'] + r[k] for r in rows for k in ('chosen', 'rejected')])
    tok.model_max_length = n_positions
    drop = {} if dropout is None else dict(resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout, summary_first_dropout=dropout)
    cfg = GPT2Config(vocab_size=len(tok), n_positions=n_positions, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                     bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                     activation_function='gelu_pytorch_tanh', **drop)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(cfg)
    model.save_pretrained(d); tok.save_pretrained(d)
    return sum(p.numel() for p in model.parameters())

class Meter:
    "Time and count what a phase does, by wrapping the sampler, the reward calls, Trainer.train and PPO's step."
    def __init__(self, cuda: bool):
        self.cuda, self.sample_s, self.tokens, self.reward_s, self.train, self.ppo = cuda, 0.0, 0, 0.0, [], []

    def sync(self):
        if self.cuda:
            import torch; torch.cuda.synchronize()

    def timed(self, fn, on_done):
        def wrapper(*a, **k):
            self.sync(); t0 = time.perf_counter()
            out = fn(*a, **k)
            self.sync(); on_done(out, time.perf_counter() - t0, a, k)
            return out
        return wrapper

    def install(self):
        import transformers, raft_nb.raft as R, raft_nb.ppo as P
        def sampled(out, dt, a, k): self.sample_s += dt; self.tokens += sum(map(len, out))
        def scored(out, dt, a, k): self.reward_s += dt
        def trained(out, dt, a, k):
            tr = a[0]
            self.train.append(dict(trainer=type(tr).__name__, examples=len(tr.train_dataset), epochs=tr.args.num_train_epochs,
                                   seconds=out.metrics['train_runtime'], samples_per_s=out.metrics['train_samples_per_second']))
        R.sample_ids = self.timed(R.sample_ids, sampled)
        for mod in (R, P): mod.checked_rewards = self.timed(mod.checked_rewards, scored)
        transformers.Trainer.train = self.timed(transformers.Trainer.train, trained)
        step = P.ppo_step
        def ppo_step(*a, **k):
            s0, r0 = self.sample_s, self.reward_s
            self.sync(); t0 = time.perf_counter()
            out = step(*a, **k)
            self.sync(); dt = time.perf_counter() - t0
            update = dt - (self.sample_s - s0) - (self.reward_s - r0)
            n, epochs = len(a[7]), a[8].ppo_epochs
            self.ppo.append(dict(seconds=dt, update_seconds=update, samples_per_s=n * epochs / max(update, 1e-9)))
            return out
        P.ppo_step = ppo_step

def peak_memory(cuda: bool) -> tuple[str, float]:
    "(what, GiB): the CUDA allocator's peak, or the process's peak RSS."
    if cuda:
        import torch
        return 'peak GPU memory', torch.cuda.max_memory_allocated() / 2**30
    return 'peak RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

def phase_config(size: str, phase: str, out: pathlib.Path):
    "The RunConfig of `phase` (RAFT for prepare/raft*, PPO for ppo)."
    from raft_nb.config import make_config, PPOConfig
    s = SIZES[size]
    common = dict(s['run'], policy=str(out / 'policy'), seed=0)
    if phase == 'ppo': return make_config(PPOConfig, **common, **s['ppo'])
    extra = dict(decoupled=phase == 'raft_decoupled', lora_r=s['lora_r'] if phase == 'raft_lora' else 0)
    return make_config(**common, **s['raft'], **extra)

def run_phase(phase: str, out: pathlib.Path, size: str, threads: int):
    "Run one phase in this process and write OUT/PHASE.json."
    import torch
    if threads: torch.set_num_threads(threads)
    from raft_nb.models import quiet_libraries
    from raft_nb.loop import write_atomic
    quiet_libraries()
    cuda = torch.cuda.is_available()
    meter = Meter(cuda); meter.install()
    cfg = phase_config(size, phase, out)
    t0 = time.time()
    if phase == 'prepare':
        from raft_nb.pipeline import prepare_run
        run = prepare_run(cfg, out / 'prepare', log=print)
        extra = dict(sft=run.sft_metrics, reward_model=run.rm_metrics)
    elif phase == 'ppo':
        from raft_nb.ppo import ppo_align
        s = ppo_align(cfg, out / phase, base=out / 'prepare', log=print); extra = dict(final=s['final'])
    else:
        from raft_nb.pipeline import align
        s = align(cfg, out / phase, base=out / 'prepare', log=print); extra = dict(final=s['final'])
    what, mem = peak_memory(cuda)
    res = dict(phase=phase, device=torch.cuda.get_device_name(0) if cuda else 'cpu', wall_s=time.time() - t0, memory_kind=what,
               peak_gib=mem, sampled_tokens=meter.tokens, sample_s=meter.sample_s, reward_s=meter.reward_s,
               tokens_per_s=meter.tokens / meter.sample_s if meter.sample_s else None, train=meter.train, ppo=meter.ppo, **extra)
    write_atomic(out / f'{phase}.json', json.dumps(res, indent=1))

def fmt(x, spec='.0f'): return '—' if x is None else format(x, spec)

def report(out: pathlib.Path, total_s: float, size: str, params: int) -> str:
    "The table of every phase, and the RAFT/PPO ratios of peak memory."
    R = {p: json.loads((out / f'{p}.json').read_text()) for p in PHASES if (out / f'{p}.json').exists()}
    kind = next(iter(R.values()))['memory_kind'] if R else 'peak memory'
    lines = [f"GPU check ({size} sizes, {params / 1e6:.1f}M-parameter policy, device {next(iter(R.values()))['device'] if R else '?'}); "
             f"total {total_s:.0f}s (target ≤ 480s on one GPU)",
             f"| phase | wall s | tokens/s sampled | samples/s trained | {kind} (GiB) |", "|---|---|---|---|---|"]
    for p, r in R.items():
        if p == 'ppo': trained = ' '.join(f"{x['samples_per_s']:.0f} (PPO update)" for x in r['ppo'])
        else: trained = ', '.join(f"{x['samples_per_s']:.0f} ({'RM' if x['trainer'] == 'PairwiseTrainer' else 'SFT' if p == 'prepare' else 'stage'})"
                                  for x in r['train'])
        lines.append(f"| {p} | {r['wall_s']:.0f} | {fmt(r['tokens_per_s'])} | {trained or '—'} | {r['peak_gib']:.2f} |")
    if 'ppo' in R:
        for p in ('raft', 'raft_decoupled', 'raft_lora'):
            if p in R: lines.append(f"{kind} {p}/ppo: {R[p]['peak_gib'] / R['ppo']['peak_gib']:.2f}")
    missing = [p for p in PHASES if p not in R]
    if missing: lines.append(f"MISSING phases: {', '.join(missing)} (see their logs in {out})")
    return '\n'.join(lines)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', default='runs/gpu_check')
    ap.add_argument('--size', choices=list(SIZES), default=None, help="default: 'gpu' with CUDA, else 'cpu'")
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: torch’s choice)')
    ap.add_argument('--phase', choices=PHASES, default=None, help=argparse.SUPPRESS)   # one phase, in this process
    ap.add_argument('--timeout', type=int, default=300, help='seconds allowed to each phase')
    a = ap.parse_args(argv)
    out = pathlib.Path(a.out)
    import torch
    size = a.size or ('gpu' if torch.cuda.is_available() else 'cpu')
    if a.phase:
        run_phase(a.phase, out, size, a.threads); sys.stdout.flush(); os._exit(0)
    if out.exists() and any(out.iterdir()) and not (out / 'gpu_check.md').exists():
        sys.exit(f"gpu_check: error: {out} is not empty and holds no earlier GPU check; choose another --out")
    import shutil; shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    if not torch.cuda.is_available(): print("gpu_check: no CUDA device: running the CPU fallback at tiny sizes")
    from raft_nb.models import quiet_libraries
    quiet_libraries()
    t0 = time.time()
    params = save_policy(out / 'policy', world_size=SIZES[size]['run']['world_size'], **SIZES[size]['model'])
    print(f"policy: {params / 1e6:.1f}M parameters, saved to {out / 'policy'}", flush=True)
    ok = True
    for p in PHASES:
        cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), '--out', str(out), '--size', size, '--threads', str(a.threads), '--phase', p]
        t = time.time()
        try:
            with open(out / f'{p}.log', 'w') as log:
                rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=a.timeout, cwd=ROOT).returncode
        except subprocess.TimeoutExpired: rc = 'timeout'
        print(f"{p}: {'ok' if rc == 0 else f'FAILED ({rc}), see ' + str(out / (p + '.log'))} ({time.time() - t:.0f}s)", flush=True)
        ok &= rc == 0
    text = report(out, time.time() - t0, size, params)
    (out / 'gpu_check.md').write_text(text + '\n')
    print(text); sys.stdout.flush()
    os._exit(0 if ok else 1)

if __name__ == '__main__': main()

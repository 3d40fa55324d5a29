"""RAFT and PPO under two data-parallel processes (gloo on CPU) against one process.

Each process samples and scores its share of the prompts (drawing the random numbers of the whole chunk, so the
union is what one process samples), the samples and rewards are gathered, RAFT ranks the gathered set and fine-tunes
through transformers.Trainer under DDP (per-process batch = batch_size / 2), PPO sums its gradients over the
processes with one all-reduce per minibatch; only the main process writes files, and every run ends with rc 0.

Tolerance. The two processes compute the same sums in another order — each process's half of a batch in its own
matmuls, its prompts padded only to its own half's longest, gradients added by an all-reduce — so floats differ in
their last bits (measured here: at most 1.5e-7 for RAFT and 1.4e-6 for PPO on any metric after two stages). A
last-bit difference could in principle flip one sampled token where the uniform draw sits on a boundary of the
cumulative distribution, so every metric is compared to TOL = 1e-3 absolute (or relative, for large values). Two
things would break bit-equality by much more, and the set-up keeps them out: dropout (each process would draw its
own masks: the policy is saved without dropout) and the last partial batch of an epoch, which accelerate fills up
with samples from the epoch's start (`even_batches`) — the SFT / reward-model phases are therefore made once, by
one process, and shared through `--base`; `test_whole_pipeline_two_processes` runs those phases under two processes
as well.
"""
import json, math, os, pathlib, socket, subprocess, sys, time
import pytest
from conftest import ROOT

TOL = 1e-3
TIMEOUT = 600            # a hang at exit fails the test instead of blocking it
COMMON = dict(world_size=1200, sft_epochs=2, rm_epochs=1, n_test=32, eval_best_of=2, max_new_tokens=40, stages=2)
RAFT = dict(b=32, K=4, epochs=1, batch_size=32)
PPO = dict(rollout_batch=32, rollouts_per_stage=2, mini_batch=16, ppo_epochs=2)
SCRIPT = "import sys\nfrom raft_nb.cli import raft_align, raft_ppo\n(raft_ppo if sys.argv.pop(1) == 'ppo' else raft_align)()\n"
ACCELERATE_CPU = ROOT / 'configs' / 'accelerate' / 'cpu_2proc.yaml'

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def launch(d, method, cfg, out, procs=1, launcher='torchrun', extra=()):
    "Run `raft_align`/`raft_ppo` in 1 process, or in 2 under torchrun or `accelerate launch` with the shipped CPU config."
    script = [str(d / 'run.py'), method, str(cfg), '--out', str(out), '--threads', '1', *extra]
    if procs == 1: cmd = [sys.executable, *script]
    elif launcher == 'torchrun':
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(procs), '--master_addr', '127.0.0.1',
               '--master_port', str(_free_port()), *script]
    else:
        cmd = [sys.executable, '-m', 'accelerate.commands.launch', '--config_file', str(ACCELERATE_CPU),
               '--num_processes', str(procs), '--main_process_port', str(_free_port()), *script]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    print(f"{method} × {procs} process(es) ({launcher if procs > 1 else 'python'}): {time.time() - t0:.1f}s")
    return r

def rows(out): return [json.loads(l) for l in open(out / 'metrics.jsonl')]

def assert_close(a, b, tol=TOL):
    "Every numeric metric of every stage of two runs within `tol` (absolute, or relative above 1); returns the largest gap."
    assert [x['stage'] for x in a] == [x['stage'] for x in b]
    worst = 0.0
    for x, y in zip(a, b):
        assert set(x) == set(y)
        for k, v in x.items():
            if k == 'wall_time' or not isinstance(v, (int, float)) or isinstance(v, bool):
                if k != 'wall_time': assert v == y[k], (x['stage'], k, v, y[k])
                continue
            gap = abs(v - y[k]) / max(1.0, abs(v))
            assert gap <= tol, f"stage {x['stage']} {k}: 1 process {v}, 2 processes {y[k]}"
            worst = max(worst, gap)
    return worst

@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A dropout-free tiny policy, the configs, and the one-process RAFT run whose SFT / reward model every other run shares."
    d = tmp_path_factory.mktemp('mp')
    (d / 'run.py').write_text(SCRIPT)
    sys.path.insert(0, str(ROOT / 'tools'))
    from gpu_check import save_policy
    save_policy(d / 'policy', n_embd=48, n_layer=2, n_head=4, n_positions=128, world_size=COMMON['world_size'], dropout=0.0)
    for name, kw in (('raft', RAFT), ('ppo', PPO)):
        (d / f'{name}.yaml').write_text(''.join(f'{k}: {v}\n' for k, v in {**COMMON, **kw, 'policy': str(d / 'policy')}.items()))
    launch(d, 'raft', d / 'raft.yaml', d / 'raft1')
    return d

def written_once(out, r, stages):
    assert [x['stage'] for x in rows(out)] == list(range(stages + 1))    # by the main process only
    assert r.stdout.count('stage 1 |') == 1                               # logged once
    assert not list(out.rglob('*.tmp-*'))                                 # no temporaries left by either process

def test_raft_two_processes(work):
    r = launch(work, 'raft', work / 'raft.yaml', work / 'raft2', procs=2, launcher='accelerate', extra=['--base', str(work / 'raft1')])
    written_once(work / 'raft2', r, 2)
    worst = assert_close(rows(work / 'raft1'), rows(work / 'raft2'))
    print(f"RAFT, 1 vs 2 processes: largest gap {worst:.2e}")
    a, b = (json.loads((work / x / 'summary.json').read_text()) for x in ('raft1', 'raft2'))
    assert abs(a['gold']['raft'] - b['gold']['raft']) <= TOL

def test_ppo_two_processes(work):
    base = ['--base', str(work / 'raft1')]
    launch(work, 'ppo', work / 'ppo.yaml', work / 'ppo1', extra=base)
    r = launch(work, 'ppo', work / 'ppo.yaml', work / 'ppo2', procs=2, extra=base)
    written_once(work / 'ppo2', r, 2)
    worst = assert_close(rows(work / 'ppo1'), rows(work / 'ppo2'))
    print(f"PPO, 1 vs 2 processes: largest gap {worst:.2e}")
    assert rows(work / 'ppo2')[-1]['train_score'] != rows(work / 'ppo2')[1]['train_score']      # it did train

def test_whole_pipeline_two_processes(work):
    "SFT and the reward model under two processes too: SFT's 352 examples fill whole batches, so it matches; the reward model's last partial batch (616 pairs, batches of 64) does not."
    r = launch(work, 'raft', work / 'raft.yaml', work / 'full2', procs=2)
    written_once(work / 'full2', r, 2)
    one, two = (json.loads((work / x / 'summary.json').read_text()) for x in ('raft1', 'full2'))
    assert one['sft']['examples'] == two['sft']['examples'] == 352
    assert math.isclose(one['sft']['final_loss'], two['sft']['final_loss'], abs_tol=TOL)
    assert abs(one['reward_model']['final_loss'] - two['reward_model']['final_loss']) < 0.01   # measured 7e-4
    assert two['stages'] == 2 and two['test_prompts'] == 32

def test_accelerate_configs_parse():
    "Every shipped accelerate config is one accelerate itself reads (the GPU ones are not run here)."
    from accelerate.commands.config.config_args import load_config_from_file
    kinds = {p.name: load_config_from_file(str(p)).distributed_type.value for p in (ROOT / 'configs' / 'accelerate').glob('*.yaml')}
    assert kinds == {'cpu_2proc.yaml': 'MULTI_GPU', 'multi_gpu_ddp.yaml': 'MULTI_GPU', 'deepspeed_zero2.yaml': 'DEEPSPEED',
                     'deepspeed_zero3.yaml': 'DEEPSPEED', 'fsdp.yaml': 'FSDP'}

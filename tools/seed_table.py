"""Mean ± std over seeds of the numbers `raft_align` writes to summary.json.
Usage: python tools/seed_table.py runs/seed0 runs/seed1 runs/seed2"""
import json, statistics as st, sys

def ms(xs): return f"{st.mean(xs):.3f} ± {st.stdev(xs):.3f}" if len(xs) > 1 else f"{xs[0]:.3f}"

def main(dirs):
    S = [json.load(open(f'{d}/summary.json')) for d in dirs]
    rows = [r for d in dirs for r in [[json.loads(l) for l in open(f'{d}/metrics.jsonl')]]]
    n = S[0]['config']['eval_best_of']
    g = lambda k: [s['gold'][k] for s in S]
    best_stage = [max(r, key=lambda x: x['gold']) for r in rows]
    print(f"seeds: {len(S)}  ({', '.join(dirs)})\n")
    print("| quantity (test prompts) | mean ± std |\n|---|---|")
    for label, xs in [("gold reward, SFT model", g('sft')),
                      (f"gold reward, SFT best-of-{n} (picked by gold)", g(f'sft_best_of_{n}')),
                      (f"gold reward, SFT best-of-{n} (picked by the reward model)", g(f'sft_best_of_{n}_by_reward_model')),
                      (f"gold reward, RAFT after stage {S[0]['stages']}", g('raft')),
                      ("share of the gap SFT → best-of-n (gold) closed by RAFT", g('gap_closed')),
                      ("share of the gap SFT → best-of-n (reward model) closed by RAFT", g('gap_closed_by_reward_model_best_of_n')),
                      ("best stage's gold reward", [b['gold'] for b in best_stage]),
                      ("best stage", [b['stage'] for b in best_stage]),
                      ("reward-model pairwise accuracy (held-out pairs)", [s['reward_model_accuracy'] for s in S]),
                      ("reward-model score, SFT → RAFT", [s['reward']['raft'] - s['reward']['sft'] for s in S]),
                      ("KL(RAFT ‖ SFT), nats", [s['final']['kl'] for s in S]),
                      ("perplexity of held-out chosen, RAFT", [s['final']['ppl'] for s in S]),
                      ("wall time (s)", [s['wall_time'] for s in S])]:
        print(f"| {label} | {ms(xs)} |")
    print("\ngold reward per stage (one row per seed):")
    for d, r in zip(dirs, rows): print(f"  {d}: " + ' '.join(f"{x['gold']:.2f}" for x in r))

if __name__ == '__main__': main(sys.argv[1:])

"""Instructions per policy decision on regorus (not a timed test): the machine's load does not
change them, so they compare rewrites of the policies where wall-clock figures cannot.

Each input is evaluated N and N + 10 times in two runs under `valgrind --tool=callgrind`; the
difference of their instruction totals divided by 10 is the cost of one decision (loading the
tree, the first evaluation and Python's start cancel out).

Run: scripts/bench --instructions  (or: .venv/bin/python -m tests.perf.instructions)
Needs valgrind. `--policies DIR` measures another tree; `--input NAME` one input;
`--by-shape` decides as the gateway does, the input's validation memoised by its shape
(governance/policy/input_shape.py), instead of evaluating the whole decision rule.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

EXTRA = 10


def inputs() -> dict[str, dict[str, Any]]:
    """The measured inputs: the sample write US -> DE, a read of a CN individual by a JP caller
    and an item of a read's result (a CN individual and a DE institution)."""
    from tests.policy import decision_table as t

    cn_individual = t.ACCT[2]
    de_institution = t.address_of("hanse-de", "institution")
    item = t.read(t.SAKURA, "eth_getLogs", [cn_individual, de_institution])
    item["read"].update(phase="result", item="log")
    return {
        "write": json.loads((ROOT / "tests" / "perf" / "sample_input.json").read_text()),
        "read": t.read(t.SAKURA, "eth_getBalance", [cn_individual]),
        "read_item": item,
    }


def _loop(policies: str, doc_path: str, runs: int, by_shape: bool) -> None:
    """The measured process: load the tree, decide the input `runs` + 1 times."""
    from governance.policy.engine import EmbeddedEngine, _decided
    from governance.policy.source import DECISION_RULE, load_policy_source

    snapshot = EmbeddedEngine("regorus", load_policy_source(Path(policies))).snapshot()
    evaluator = snapshot.evaluator
    assert evaluator is not None
    text = Path(doc_path).read_text()
    doc = json.loads(text)
    if by_shape:
        decide: Any = lambda: _decided(snapshot, doc).to_json()  # noqa: E731
    else:
        decide = lambda: evaluator.eval_json(DECISION_RULE, text)  # noqa: E731
    first = decide()
    for _ in range(runs):
        decide()
    print(json.dumps(first, sort_keys=True))


def _instructions(
    policies: Path, doc_path: Path, runs: int, work: Path, by_shape: bool
) -> tuple[int, str]:
    out = work / f"callgrind.{runs}"
    cmd = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "tests.perf.instructions",
        "--loop",
        str(runs),
        "--policies",
        str(policies),
        "--doc",
        str(doc_path),
        *(["--by-shape"] if by_shape else []),
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1)), done.stdout.strip().splitlines()[-1]


def measure(
    policies: Path, name: str, doc: dict[str, Any], runs: int, by_shape: bool = False
) -> tuple[float, str]:
    """(instructions per decision, the decision as JSON) of `doc` on `policies`."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        doc_path = work / f"{name}.json"
        doc_path.write_text(json.dumps(doc))
        with ThreadPoolExecutor(2) as pool:  # the two runs side by side (one core each)
            short = pool.submit(_instructions, policies, doc_path, runs, work, by_shape)
            long = pool.submit(_instructions, policies, doc_path, runs + EXTRA, work, by_shape)
            (base, decision), (more, again) = short.result(), long.result()
    if decision != again:
        raise RuntimeError(f"{name}: the two runs decided differently")
    return (more - base) / EXTRA, decision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", default=str(ROOT / "policies"))
    parser.add_argument("--input", action="append", help="write, read or read_item (repeatable)")
    parser.add_argument("--runs", type=int, default=5, help="evaluations of the shorter run")
    parser.add_argument("--decisions", action="store_true", help="print each decision too")
    parser.add_argument(
        "--by-shape", action="store_true", help="the input's validation memoised by its shape"
    )
    parser.add_argument("--loop", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--doc", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop is not None:
        _loop(args.policies, args.doc, args.loop, args.by_shape)
        return
    docs = inputs()
    for name in args.input or list(docs):
        per_decision, decision = measure(
            Path(args.policies), name, docs[name], args.runs, args.by_shape
        )
        how = " (by shape)" if args.by_shape else ""
        print(f"{name}: {per_decision / 1e6:.2f} M instructions per decision{how}")
        if args.decisions:
            print(f"  {decision}")


if __name__ == "__main__":
    main()

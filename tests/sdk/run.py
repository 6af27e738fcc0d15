"""Runs the Socaity SDK flows (socaity_flows.py, fastsdk_flows.py) against the mock at
$POLYJOB_MOCK_URL and prints one line per flow, then `sdk: N passed, M failed` (exit 1 if any
failed).

Each flow runs in its own child process (a fresh SDK: its registry and job runtime are
process-wide singletons), in its own temporary directory and $HOME (the SDKs read and write
~/.config/socaity and caches), with the SDKs pointed at the mock by their documented variables
(SOCAITY_API_KEY, SOCAITY_BACKEND_URL, APIPOD_GATE_URL), no proxy, and a time bound
(SDK_FLOW_TIMEOUT_S, default 90 s) after which the child is killed.

    python tests/sdk/run.py [--only SUBSTRING] [-v]
    python tests/sdk/run.py --flow NAME      # one flow, in this process (what the children run)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

sys.dont_write_bytecode = True
import mockctl  # noqa: E402


def all_flows() -> dict:
    import fastsdk_flows
    import socaity_flows

    return {**socaity_flows.FLOWS, **fastsdk_flows.FLOWS}


FLOW_NAMES = [
    "socaity: run + save the audio (README)",
    "socaity: submit an image to face2face/swap",
    "socaity: track a job by id",
    "socaity: cancel by id (cancel_job, action=cancel|interrupt)",
    "socaity: stream the output",
    "fastsdk: connect + submit_job + save (README)",
    "fastsdk: submit an image to face2face/swap",
    "fastsdk: cancel",
    "fastsdk: stream the output",
    "catalog contract == OpenAPI document",
]


def child_env(home: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        NO_PROXY="127.0.0.1,localhost",
        SOCAITY_API_KEY=mockctl.KEY,
        SOCAITY_BACKEND_URL=mockctl.SOCAITY,
        APIPOD_GATE_URL=mockctl.SOCAITY,
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_one_here(name: str) -> int:
    """Runs flow `name` in this process; prints `FIGURE: …` or the traceback."""
    try:
        figure = all_flows()[name]()
    except BaseException:
        traceback.print_exc()
        return 1
    print(f"FIGURE: {figure}", flush=True)
    # The SDK keeps worker threads alive; leave at once, the result is printed.
    os._exit(0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--flow")
    ap.add_argument("--only", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    mockctl.check_loopback()
    if args.flow:
        return run_one_here(args.flow)

    timeout_s = float(os.environ.get("SDK_FLOW_TIMEOUT_S", "90"))
    names = [n for n in FLOW_NAMES if args.only in n]
    missing = set(FLOW_NAMES) ^ set(all_flows())
    if missing:
        print(f"flow list out of date: {sorted(missing)}")
        return 2
    print(f"Socaity SDK flows against {mockctl.MOCK_URL} (timeout {timeout_s:.0f} s each)", flush=True)
    passed = failed = 0
    for name in names:
        with tempfile.TemporaryDirectory(prefix="polyjob-sdk-") as tmp:
            start = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--flow", name],
                cwd=tmp, env=child_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, start_new_session=True,
            )
            try:
                out, _ = proc.communicate(timeout=timeout_s)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                proc.kill()  # this child only, by its PID
                out, _ = proc.communicate()
                code = None
            secs = time.monotonic() - start
        figure = next((l[8:] for l in out.splitlines() if l.startswith("FIGURE: ")), None)
        if code == 0 and figure is not None:
            passed += 1
            print(f"  ok    {name} ({secs:.1f} s): {figure}", flush=True)
            if args.verbose:
                print(out)
        else:
            failed += 1
            why = "timed out" if code is None else f"exit {code}"
            print(f"  FAIL  {name} ({secs:.1f} s, {why})", flush=True)
            tail = out.strip().splitlines()[-40:]
            print("\n".join(f"        | {l}" for l in tail), flush=True)
    print(f"sdk: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

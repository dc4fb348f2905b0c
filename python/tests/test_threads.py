"""A Scenario is shared by threads: same answers as one thread, and the GIL is released while
Rust evaluates (another Python thread runs meanwhile)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import iamsim

REQUESTS = "testdata/batch/requests.jsonl"


def test_threads_share_a_scenario(root):
    s = iamsim.Scenario.from_file("testdata/batch/mfa-scenario.json")
    data = (root / REQUESTS).read_bytes() * 200
    expected = s.evaluate_jsonl(data)
    single = [s.evaluate("s3:ListAllMyBuckets", context=c).decision for c in iamsim.PRESETS]

    def work(_):
        ones = [s.evaluate("s3:ListAllMyBuckets", context=c).decision for c in iamsim.PRESETS]
        return s.evaluate_jsonl(data), ones, s.evaluate("s3:GetObject", context="access-keys").explain()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(32)))
    explain = s.evaluate("s3:GetObject", context="access-keys").explain()
    for out, ones, ex in results:
        assert out == expected and ones == single and ex == explain


def test_the_gil_is_released_during_evaluation(root):
    s = iamsim.Scenario.from_file("testdata/batch/mfa-scenario.json")
    data = (root / REQUESTS).read_bytes() * 20000
    stamps = []
    done = threading.Event()

    def count():
        n = 0
        while not done.is_set():
            n += 1
            if n % 100 == 0:
                stamps.append(time.perf_counter())

    t = threading.Thread(target=count)
    t.start()
    try:
        time.sleep(0.01)
        t0 = time.perf_counter()
        s.evaluate_jsonl(data)
        t1 = time.perf_counter()
    finally:
        done.set()
        t.join()
    # With the GIL held no Python thread runs during the call: none would tick in its middle half.
    lo, hi = t0 + (t1 - t0) / 4, t1 - (t1 - t0) / 4
    assert any(lo <= x <= hi for x in stamps), f"no Python thread ran during the {t1 - t0:.3f} s evaluation"


def test_threads_share_a_scenario_for_arrow_batches(root):
    pa = __import__("pytest").importorskip("pyarrow")
    s = iamsim.Scenario.from_file("testdata/batch/mfa-scenario.json")
    n = 5000
    t = pa.table({
        "action": ["s3:ListAllMyBuckets", "iam:ListUsers", "ec2:RunInstances", "s3:GetObject"] * n,
        "context": ["access-keys", "console-mfa", "console", "session-mfa"] * n,
        "context_keys": ['{"aws:SourceIp": "203.0.113.7"}', None, '{"aws:MultiFactorAuthPresent": true}', "{}"] * n,
    })
    expected = s.evaluate_batch(t)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: s.evaluate_batch(t), range(8)))
    assert all(r.equals(expected) for r in results)

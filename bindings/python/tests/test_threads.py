"""Different parsers on different threads at the same time."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import kvstrail

from conftest import DATA, gen_trail


def test_parsers_on_threads_at_once(tmp_path):
    files = [gen_trail(tmp_path / f"t{i}.json", 400, seed=10 + i) for i in range(3)]
    files.append(gen_trail(tmp_path / "t.json.gz", 400, seed=20, gzip=True))
    files.append(DATA / "seed-mended.json")
    expected = [[ev.to_dict() for ev in kvstrail.parse(f)] for f in files]
    # Every thread holds an open parser in the middle of its file when all
    # of them meet at the barrier: the parsers are alive at the same time.
    barrier = threading.Barrier(len(files), timeout=60)

    def work(path):
        out = []
        with kvstrail.open(path) as events:
            for i, ev in enumerate(events):
                out.append(ev.to_dict())
                if i == 2:
                    barrier.wait()
        return out

    for _ in range(3):
        barrier.reset()
        with ThreadPoolExecutor(len(files)) as pool:
            got = list(pool.map(work, files))
        assert got == expected


def test_errors_stay_on_their_thread(tmp_path):
    good = gen_trail(tmp_path / "good.json", 300, seed=5)
    bad = DATA / "seed-published.json"
    n_good = sum(1 for _ in kvstrail.parse(good))

    def work(path):
        try:
            return sum(1 for _ in kvstrail.parse(path))
        except kvstrail.ParseError as e:
            return (e.line, e.column)

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(work, [good, bad, good, bad] * 3))
    assert got == [n_good, (27, 21), n_good, (27, 21)] * 3


def test_validators_from_threads():
    values = ["video/h264", "mediaType", "arn:aws:kms:us-east-1:123456789012:key/k",
              "arn:aws:kms::us-east-1:123456789012:alias"]
    expected = [kvstrail.validate.media_type(v) for v in values]

    def work(_):
        return [kvstrail.validate.media_type(v) for v in values * 200][:4]

    with ThreadPoolExecutor(4) as pool:
        assert all(r == expected for r in pool.map(work, range(16)))
    assert expected[0] is None and expected[1] == kvstrail.FindingCode.MEDIA_TYPE


@pytest.mark.parametrize("n", [2])
def test_one_stream_many_threads_is_callers_business(n):
    # One parser is used by one thread at a time: sharing a stream across
    # threads under a lock is allowed and yields each event once.
    stream = kvstrail.parse(DATA / "fixtures" / "gen-trail-40.json")
    lock = threading.Lock()
    seen = []

    def work():
        while True:
            with lock:
                ev = next(stream, None)
            if ev is None:
                return
            seen.append(ev.record)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(40))

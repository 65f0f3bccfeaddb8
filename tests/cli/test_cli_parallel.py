"""-j (output in file order), the progress bar, and terminal behaviour
(default table, colour, NO_COLOR), run on a pseudo-terminal."""
import errno
import json
import fcntl
import os
import re
import pty
import select
import struct
import subprocess
import termios
import threading
import time

import pytest

from conftest import CLI, MENDED, PUBLISHED, gz, jsonl, run, seed_records, write


@pytest.fixture(scope="module")
def many_files(tmp_path_factory):
    """Files of different sizes and formats; two large enough (about 10 MB
    of output each) that a later file finishes while an earlier one is
    still being written, and spills past the in-memory budget."""
    d = tmp_path_factory.mktemp("many")
    recs = seed_records()
    big = "".join(json.dumps(r) + "\n" for r in recs * 1400)
    files = [
        write(d / "a-big.jsonl", big),
        write(d / "b-big.jsonl.gz", gz(big)),
        write(d / "c.json", json.dumps({"Records": recs})),
        write(d / "d.json.gz", gz(json.dumps(recs))),
        write(d / "e-small.json", json.dumps(recs[2])),
    ]
    return files


def test_jobs_keep_file_order(many_files):
    ref = run(["events", "--format", "jsonl", "-j", "1"] + many_files)
    assert ref.returncode == 0, ref.stderr
    evs = jsonl(ref.stdout)
    assert len(evs) == 2 * 7000 + 5 + 5 + 1
    # File order, and record order within each file.
    order = [str(p) for p in many_files]
    seen = [(order.index(e["file"]), e["record"]) for e in evs]
    assert seen == sorted(seen)
    for jobs in ("2", "4", "0"):
        r = run(["events", "--format", "jsonl", "-j", jobs] + many_files)
        assert r.returncode == 0, jobs
        assert r.stdout == ref.stdout, jobs
        assert r.stderr == b""


def test_jobs_keep_errors_with_their_file(many_files):
    files = [many_files[2], PUBLISHED, many_files[0], many_files[3]]
    ref = run(["events", "--format", "jsonl", "-j", "1"] + files)
    par = run(["events", "--format", "jsonl", "-j", "3"] + files)
    assert ref.returncode == par.returncode == 2
    assert par.stdout == ref.stdout
    assert par.stderr == ref.stderr
    assert par.stderr.decode().startswith(f"{PUBLISHED}:27:21: error:")


def test_jobs_table_and_check_outputs_match(many_files):
    for args in (["events", "--format", "table"], ["check"],
                 ["check", "--format", "jsonl"]):
        ref = run(args + ["-j", "1"] + many_files)
        par = run(args + ["-j", "2"] + many_files)
        assert par.returncode == ref.returncode
        assert par.stdout == ref.stdout, args


def test_no_progress_when_stderr_is_not_a_terminal(many_files):
    r = run(["stats"] + many_files)
    assert r.returncode == 0
    assert r.stderr == b""
    r = run(["events", "--format", "jsonl", "--no-progress", "--progress",
             "--no-progress"] + many_files)
    assert r.stderr == b""


def _slow_stdin(data, pause):
    """A pipe for a child's stdin, fed in two halves with a pause between
    (long enough for several progress redraws); returns (fd, thread)."""
    rfd, wfd = os.pipe()

    def feed():
        with os.fdopen(wfd, "wb") as w:
            w.write(data[:len(data) // 2])
            w.flush()
            time.sleep(pause)
            w.write(data[len(data) // 2:])

    thread = threading.Thread(target=feed)
    thread.start()
    return rfd, thread


def test_forced_progress_is_drawn_and_cleared():
    data = MENDED.read_bytes()
    rfd, feeder = _slow_stdin(data, 0.6)
    proc = subprocess.Popen([CLI, "stats", "--format", "jsonl", "--progress"],
                            stdin=rfd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    os.close(rfd)
    out, err = proc.communicate(timeout=60)
    feeder.join()
    assert proc.returncode == 0
    assert json.loads(out)["records"] == 5
    assert b"records" in err and b"MB/s" in err
    # Both byte counts, named: as read (compressed for gzip) and as JSON.
    assert re.search(rb" MB read \([0-9.]+ MB json\) ", err), err
    # Redrawn in place at most ~10 times a second, and erased at the end.
    assert err.startswith(b"\r")
    assert err.count(b"\r") <= 2 * 10 + 2
    assert err.endswith(b"\r\033[K")
    assert b"\n" not in err


def _run_on_pty(args, env_extra=None, stdin_pause=None, stdin_data=None,
                columns=None):
    """Run with stdout and stderr on one pseudo-terminal; returns the bytes
    the terminal received and the exit status."""
    master, slave = pty.openpty()
    if columns:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.update(env_extra or {})
    feeder = None
    stdin = subprocess.DEVNULL
    if stdin_data is not None:
        stdin, feeder = _slow_stdin(stdin_data, stdin_pause)
    proc = subprocess.Popen([CLI] + [str(a) for a in args], stdin=stdin,
                            stdout=slave, stderr=slave, env=env)
    os.close(slave)
    if feeder:
        os.close(stdin)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    if feeder:
        feeder.join()
    return b"".join(chunks), proc.wait(timeout=30)


def test_terminal_defaults_to_a_coloured_table():
    out, status = _run_on_pty(["events", MENDED])
    assert status == 0
    text = out.decode()
    assert "TIME" in text and "FINDINGS" in text and "CreateStream" in text
    assert "\033[1m" in text                   # bold header
    assert "\033[" in text.split("\n", 1)[1]   # coloured finding counts
    assert '{"file"' not in text


def test_terminal_respects_no_color():
    out, status = _run_on_pty(["events", MENDED], {"NO_COLOR": "1"})
    assert status == 0
    assert b"CreateStream" in out
    assert b"\033" not in out
    out, status = _run_on_pty(["events", "--color=never", MENDED])
    assert b"\033" not in out


def test_progress_on_by_default_on_a_terminal():
    out, status = _run_on_pty(["stats", "--format", "jsonl"],
                              stdin_pause=0.6, stdin_data=MENDED.read_bytes())
    assert status == 0
    assert b"records" in out and b"MB/s" in out
    assert b"\r\033[K" in out
    # The summary comes after the bar is erased, on a line of its own.
    last = out.replace(b"\r\n", b"\n").rsplit(b"\r\033[K", 1)[1]
    assert json.loads(last)["records"] == 5


def test_files_waiting_behind_a_slow_head(tmp_path):
    """The first input is a pipe that stays open for a while: every later
    file finishes first and waits for its turn. Their output (more than
    the 32 MiB the CLI keeps in memory) spills to temporary files, and past
    64 files ahead of the head the workers wait. Same bytes as -j 1."""
    recs = seed_records()
    big = "".join(json.dumps(r) + "\n" for r in recs * 1500)
    files = [write(tmp_path / f"big{i}.jsonl", big) for i in range(4)]
    files += [write(tmp_path / f"small{i:03d}.json", json.dumps(recs[i % 5]))
              for i in range(80)]
    head = MENDED.read_bytes()

    def run_with_slow_stdin(jobs):
        rfd, feeder = _slow_stdin(head, 1.5)
        proc = subprocess.Popen([CLI, "events", "--format", "jsonl", "-j", jobs,
                                 "-"] + [str(f) for f in files],
                                stdin=rfd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        os.close(rfd)
        out, err = proc.communicate(timeout=120)
        feeder.join()
        return proc.returncode, out, err

    status1, out1, err1 = run_with_slow_stdin("1")
    status2, out2, err2 = run_with_slow_stdin("2")
    assert status1 == status2 == 0
    assert err1 == err2 == b""
    assert len(out1) > 40 * 1024 * 1024
    assert out2 == out1


@pytest.mark.parametrize("columns", [120, 200])
def test_table_fits_the_terminal(tmp_path, columns):
    rec = seed_records()[2]
    rec["eventName"] = "DescribeImageGenerationConfiguration"
    rec["requestParameters"] = {"StreamName": "a-stream-name-far-longer-than-the-column-ever-is"}
    path = write(tmp_path / "long.json", json.dumps(rec))
    out, status = _run_on_pty(["events", "--color=never", MENDED, path],
                              columns=columns)
    assert status == 0
    lines = out.decode().replace("\r\n", "\n").splitlines()
    assert len(lines) == 7
    assert all(len(line) < columns for line in lines), [len(x) for x in lines]
    header = lines[0]
    assert header.split() == ["TIME", "ACTION", "WHO", "PRINCIPAL",
                              "REGION", "STREAM", "FINDINGS"]
    end = header.index("FINDINGS") + len("FINDINGS")
    assert all(len(line) == end for line in lines)
    action = lines[6][header.index("ACTION"):header.index("WHO")].strip()
    stream = lines[6][header.index("STREAM"):].split()[0]
    if columns == 200:
        assert action == "DescribeImageGenerationConfiguration"
        assert stream == "a-stream-name-far-longer-than-the-column-ever-is"
    else:
        assert action.endswith("~")
        assert "DescribeImageGenerationConfiguration".startswith(action[:-1])
        assert stream.endswith("~")
        assert "a-stream-name-far-longer".startswith(stream[:-1])


def _threads_while_fed(paths_data, args, cpus, want):
    """Start the CLI on named pipes, each fed the first half of its data,
    on the CPUs `cpus`; once the CLI has read all of it, count its threads
    (waiting up to 10 s for `want` of them, then 0.2 s more for any
    further one); then feed the rest. Gives the count and the finished
    run."""
    for path, _ in paths_data:
        os.mkfifo(path)
    proc = subprocess.Popen([CLI] + args + [path for path, _ in paths_data],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    deadline = time.monotonic() + 10

    def writer(path):
        # a FIFO opens for writing once the CLI has it open for reading:
        # without blocking, so that a CLI that stopped fails the test
        while True:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:
                assert e.errno == errno.ENXIO, e
                assert proc.poll() is None and time.monotonic() < deadline, \
                    proc.stderr.read() if proc.poll() is not None else "no reader"
                time.sleep(0.01)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "wb")

    def count(name):
        if name == "threads":
            return len(os.listdir("/proc/%d/task" % proc.pid))
        with open("/proc/%d/io" % proc.pid) as io:
            return int(next(l for l in io if l.startswith("rchar:")).split()[1])

    writers = [writer(path) for path, _ in paths_data]
    first = 0
    for w, (_, data) in zip(writers, paths_data):
        w.write(data[:len(data) // 2])
        w.flush()
        first += len(data) // 2
    while count("rchar") < first and time.monotonic() < deadline:
        time.sleep(0.01)
    while count("threads") < want and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    threads = count("threads")
    for w, (_, data) in zip(writers, paths_data):
        w.write(data[len(data) // 2:])
        w.close()
    out, err = proc.communicate(timeout=60)
    return threads, proc.returncode, out, err


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 or not os.path.isdir("/proc/self/task"),
                    reason="needs two CPUs and /proc")
def test_jobs_that_fill_the_cpus_inflate_on_their_own_thread(tmp_path):
    """gzip is inflated on a second thread of its parser, unless the
    workers alone fill the CPUs (-j at least the CPUs the process may use):
    then each parser inflates on its own thread, which saves a queue and
    an inflate state per parser (peak RSS of stats -j 2 within 4 MiB,
    docs/performance.md). Counted on named pipes, while the gzip stages
    wait for the second half of their input."""
    body = gz(MENDED.read_bytes())
    two = set(sorted(os.sched_getaffinity(0))[:2])
    # -j 1: the main thread parses, the gzip stage's worker inflates
    n, rc, out, err = _threads_while_fed([(str(tmp_path / "a.json.gz"), body)],
                                         ["stats", "-j", "1"], two, 2)
    assert rc == 0, err
    assert n == 2
    # -j 2 on two CPUs: two workers (the main thread and one more), no
    # inflate thread; -j 3 on two CPUs: three
    for jobs in (2, 3):
        feeds = [(str(tmp_path / ("j%d-%d.json.gz" % (jobs, k))), body) for k in range(jobs)]
        n, rc, out, err = _threads_while_fed(
            feeds, ["stats", "--format", "jsonl", "-j", str(jobs)], two, jobs)
        assert rc == 0, err
        assert json.loads(out)["files"] == jobs
        assert n == jobs
    # -j 2 on three CPUs or more leaves a CPU free: the stages' workers run
    if len(os.sched_getaffinity(0)) >= 3:
        three = set(sorted(os.sched_getaffinity(0))[:3])
        feeds = [(str(tmp_path / ("t-%d.json.gz" % k)), body) for k in range(2)]
        n, rc, out, err = _threads_while_fed(feeds, ["stats", "-j", "2"], three, 4)
        assert rc == 0, err
        assert n == 4

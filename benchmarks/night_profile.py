"""Where the nightly flow's wall time goes: CPU of the flow's process and of its PostgreSQL
backends, and what each running thread is doing, sampled from inside the flow's process.

``bench_nightly.py --profile FILE`` starts ``sample`` in the flow's child; at exit the samples are
written to FILE (JSON). ``python benchmarks/night_profile.py FILE LOG`` then cuts them by the
night's steps, read off the flow's log (the child's output): wall time, CPU of this process and
of the database's backends, and the most frequent project frames of the threads found running.
A thread is counted only when the kernel shows it running (state R), so a thread waiting on a
socket or the GIL is not; a sampler in Python needs the GIL itself, so the stacks of a step that
holds it are sampled less often than every ``every`` seconds.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
PROJECT = ("/domain/", "/parsers/", "/sql/", "/rkc/", "/reports/", "/flows/")


def _stat(path: str) -> tuple[str, float] | None:
    """(state, CPU seconds) of a process or thread from its ``stat`` file."""
    try:
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], (int(fields[11]) + int(fields[12])) / TICK


def _backends(database: str, seen: dict[int, list], others: set[int]) -> None:
    """Update ``seen`` (pid -> [title, CPU seconds]) with every backend of ``database`` (autovacuum's
    included) and their parallel workers; ``others`` are the pids found to be none of them."""
    for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
        if pid in others:
            continue
        if pid not in seen:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    title = f.read().decode(errors="replace").strip("\x00 ")
            except OSError:
                continue
            leader = re.search(r"parallel worker for PID (\d+)", title)
            if not title.startswith("postgres: "):
                others.add(pid)
                continue
            if not (re.search(rf"\b{database}\b", title) or (leader and int(leader.group(1)) in seen)):
                others.add(pid)  # a backend of another database, or the server's own processes
                continue
            seen[pid] = [title, 0.0]
        got = _stat(f"/proc/{pid}/stat")
        if got is not None:
            seen[pid][1] = max(seen[pid][1], got[1])


def sample(out: Path, database: str, every: float = 0.25) -> None:
    """Sample in a daemon thread until exit, then write the samples to ``out``."""
    samples: list[list] = []
    stacks: list[list] = []
    backends: dict[int, list] = {}
    others: set[int] = set()

    def frames_of(frame) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        leaf = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"
        mine = ""
        while frame is not None:
            name = frame.f_code.co_filename
            if any(p in name for p in PROJECT):
                mine = f"{name.split('/')[-2]}/{Path(name).name}:{frame.f_code.co_name}:{frame.f_lineno}"
                break
            frame = frame.f_back
        return mine, leaf

    def loop() -> None:
        while True:
            now = time.time()
            _backends(database, backends, others)
            cpu = os.times()
            with open("/proc/self/statm") as f:
                rss = int(f.read().split()[1]) * PAGE
            samples.append([now, cpu.user + cpu.system, sum(cpu for _, cpu in backends.values()), rss])
            by_native = {t.native_id: t for t in threading.enumerate()}
            current = sys._current_frames()
            for tid in os.listdir("/proc/self/task"):
                got = _stat(f"/proc/self/task/{tid}/stat")
                thread = by_native.get(int(tid))
                if got is None or got[0] != "R" or thread is None or thread.ident == threading.get_ident():
                    continue
                frame = current.get(thread.ident)
                if frame is not None:
                    stacks.append([now, thread.name, *frames_of(frame)])
            time.sleep(every)

    def dump() -> None:
        out.write_text(json.dumps({"samples": samples, "stacks": stacks, "backends": list(backends.values())}))

    threading.Thread(target=loop, name="night-profile", daemon=True).start()
    atexit.register(dump)


STEP_ENDS = [  # (step, the log line that ends it: the last one matching)
    ("start → flow", re.compile(r"Beginning flow run")),
    ("intake", re.compile(r"Task run 'intake: .*Finished in state")),
    ("statements", re.compile(r"Task run 'statements-.*Finished in state")),
    ("decide", re.compile(r"Task run 'decide-.*Finished in state")),
    ("posting", re.compile(r"Task run 'post_register: .*Finished in state")),
    ("tie, resolutions", re.compile(r"Task run 'resolutions-.*Finished in state")),
    ("report", re.compile(r"Task run 'report-.*Finished in state")),
    ("flow's end", re.compile(r"Flow run .* Finished in state")),
]


def step_ends(log: str, day: str) -> list[tuple[str, float]]:
    """Each step's end (epoch seconds) in the first flow run of ``log``."""
    second = log.find("Beginning flow run", log.find("Beginning flow run") + 1)
    text = log if second < 0 else log[:second]  # the night's run, not the replay after it
    ends = []
    for step, pattern in STEP_ENDS:
        hits = [line for line in text.splitlines() if pattern.search(line)]
        if hits:
            clock = hits[-1].split(" | ")[0]
            ends.append((step, datetime.fromisoformat(f"{day}T{clock}").timestamp()))
    return ends


def analyse(profile: Path, log_path: Path, top: int = 8) -> None:
    """Print the profile cut by the night's steps."""
    data = json.loads(profile.read_text())
    samples, stacks = data["samples"], data["stacks"]
    log = log_path.read_text(errors="replace")
    day = datetime.fromtimestamp(samples[0][0]).date().isoformat()
    ends = step_ends(log, day)
    begin = samples[0][0]

    def at(t: float) -> list:
        return min(samples, key=lambda s: abs(s[0] - t))

    print(f"{'step':<18} {'wall':>7} {'flow CPU':>9} {'PG CPU':>8} {'peak RSS':>9}")
    for step, end in ends:
        a, b = at(begin), at(end)
        rss = max((s[3] for s in samples if begin <= s[0] <= end), default=0) / 2**20
        print(f"{step:<18} {end - begin:7.1f} {b[1] - a[1]:9.1f} {b[2] - a[2]:8.1f} {rss:9.0f}")
        mine = Counter((s[1], s[2] or s[3]) for s in stacks if begin <= s[0] < end)
        for (thread, where), n in mine.most_common(top):
            print(f"    {n:5d}  {thread[:28]:<28} {where}")
        begin = end
    kinds: Counter[str] = Counter()
    for title, cpu in data.get("backends", []):
        kinds[re.sub(r"\d+(\.\d+)*(\(\d+\))?", "N", " ".join(title.split()[:4]))] += cpu
    print("PostgreSQL processes of the database, CPU s:", {k: round(v, 1) for k, v in kinds.most_common()})


if __name__ == "__main__":
    analyse(Path(sys.argv[1]), Path(sys.argv[2]))

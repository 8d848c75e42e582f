#!/usr/bin/env python3
"""timeline.py - one open, stretch by stretch, from a system-wide trace

    perf record -a -e sched:sched_switch,sched:sched_wakeup \\
        -e raw_syscalls:sys_enter,raw_syscalls:sys_exit --exclude-perf \\
        -- sleep 0.3
    perf script -F comm,tid,cpu,time,event,trace | timeline.py DAEMON_PID

reads the trace of connrate.sh's open line (utcp-bench's blocking
connect and close on utcpd, a kernel listener in utcp-bench -k that
accepts and closes; connrate.sh BUILD timeline runs both) and cuts it
into cycles at the daemon's connect replies (its only sendmsg on that
line). For each stretch of a cycle it prints the median, p25 and p75 in
microseconds, then per cycle: the system calls of each process (count
and time inside them), the daemon's calls between its reply and the
next request read (its housekeeping), its sleeps and preemptions, and
where the application was woken. The utcp-bench processes are told
apart by their calls: the listener calls accept4, the client sendmsg.
x86-64 system call numbers.
"""
import re
import statistics
import sys
from collections import Counter, defaultdict

NAMES = {
    0: "read", 1: "write", 3: "close", 7: "poll", 16: "ioctl",
    19: "readv", 20: "writev", 41: "socket", 42: "connect",
    44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg",
    48: "shutdown", 53: "socketpair", 54: "setsockopt",
    55: "getsockopt", 72: "fcntl", 232: "epoll_wait", 233: "epoll_ctl",
    271: "ppoll", 281: "epoll_pwait", 288: "accept4", 441: "epoll_pwait2",
}
POLLS = {7, 271}
EPOLLS = {232, 281, 441}

LINE = re.compile(r"^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$")


def name(nr):
    return NAMES.get(nr, "nr%d" % nr)


def read(daemon):
    """Events as (t_us, kind, tid, cpu, data) in time order."""
    ev = []
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        comm, tid, cpu, t, event, rest = m.groups()
        tid, cpu, t = int(tid), int(cpu), float(t) * 1e6
        if event == "raw_syscalls:sys_enter":
            ev.append((t, "enter", tid, cpu, int(rest.split()[1])))
        elif event == "raw_syscalls:sys_exit":
            ev.append((t, "exit", tid, cpu, int(rest.split()[1])))
        elif event == "sched:sched_switch":
            prev = int(re.search(r"prev_pid=(\d+)", rest).group(1))
            state = re.search(r"prev_state=(\S+)", rest).group(1)
            nxt = int(re.search(r"next_pid=(\d+)", rest).group(1))
            ev.append((t, "out", prev, cpu, state))
            ev.append((t, "in", nxt, cpu, None))
        elif event == "sched:sched_wakeup":
            pid = int(re.search(r" pid=(\d+)", " " + rest).group(1))
            target = int(re.search(r"target_cpu=(\d+)", rest).group(1))
            ev.append((t, "wake", pid, target, tid))
    ev.sort(key=lambda e: e[0])
    return ev


def roles(ev, daemon):
    calls = defaultdict(Counter)
    for t, kind, tid, cpu, nr in ev:
        if kind == "enter":
            calls[tid][nr] += 1
    listener = max((t for t in calls if t != daemon),
                   key=lambda t: calls[t][288], default=None)
    client = max((t for t in calls if t not in (daemon, listener)),
                 key=lambda t: calls[t][46], default=None)
    if not listener or not calls[listener][288] or not client or \
            not calls[client][46]:
        sys.exit("timeline.py: no listener (accept4) or client (sendmsg)")
    return client, listener


def q(values):
    v = sorted(values)
    if not v:
        return "-"
    return "%6.1f (p25 %5.1f, p75 %5.1f, n %d)" % (
        statistics.median(v), v[len(v) // 4], v[(3 * len(v)) // 4], len(v))


def main():
    daemon = int(sys.argv[1])
    ev = read(daemon)
    client, listener = roles(ev, daemon)
    who = {daemon: "daemon", client: "application", listener: "listener"}
    replies = [i for i, e in enumerate(ev)
               if e[1] == "enter" and e[2] == daemon and e[4] == 46]
    if len(replies) < 3:
        sys.exit("timeline.py: fewer than 3 connect replies")
    stretch = defaultdict(list)
    per = {w: Counter() for w in who.values()}
    inside = {w: Counter() for w in who.values()}
    house = Counter()
    house_us = Counter()
    counts = Counter()
    cycles = 0
    entered = {}  # tid -> (time, call) of the call it is in
    for a, b in zip(replies, replies[1:]):
        cyc = ev[a:b]
        t0 = ev[a][0]
        cycles += 1
        mark = {}
        wake_cpu = None
        for t, kind, tid, cpu, data in cyc:
            w = who.get(tid)
            if kind == "wake" and tid == client and "c_wake" not in mark:
                mark["c_wake"] = t
                wake_cpu = cpu
                mark["c_wake_on_daemon"] = data == daemon
            if kind == "in" and tid == client and "c_wake" in mark and \
                    "c_run" not in mark:
                mark["c_run"] = t
                mark["c_run_cpu"] = cpu
            if kind == "wake" and tid == daemon and "c_req" in mark and \
                    "d_wake" not in mark:
                mark["d_wake"] = t
            if kind == "out" and tid == daemon:
                counts["daemon sleeps" if data.startswith("S")
                       else "daemon preempted"] += 1
            if kind == "out" and tid == client and not data.startswith("S"):
                counts["application preempted"] += 1
            if w is None or kind not in ("enter", "exit"):
                continue
            if kind == "enter":
                per[w][name(data)] += 1
                entered[tid] = (t, data)
                continue
            if tid in entered:
                t_in, nr = entered.pop(tid)
                inside[w][name(nr)] += t - t_in
            else:
                continue
            if tid == daemon and "d_req_read" not in mark and t_in > t0:
                house[name(nr)] += 1
                house_us[name(nr)] += t - t_in
            if tid == client:
                if nr in POLLS and "c_poll" not in mark:
                    mark["c_poll"] = t
                elif nr == 47 and "c_reply_read" not in mark:
                    mark["c_reply_read"] = t
                elif nr in POLLS and "c_reply_read" in mark and \
                        "c_pollout" not in mark:
                    mark["c_pollout"] = t
                elif nr == 3 and "c_close" not in mark:
                    mark["c_close"] = t_in
                    mark["c_close_exit"] = t
                elif nr == 46 and "c_req" not in mark:
                    mark["c_req"] = t_in
            if tid == daemon and "c_req" in mark:
                if nr in EPOLLS and "d_epoll" not in mark:
                    mark["d_epoll"] = t
                elif nr == 47 and "d_req_read" not in mark:
                    mark["d_req_read"] = t
                elif nr == 20 and "d_req_read" in mark and \
                        "d_syn" not in mark:
                    mark["d_syn"] = t_in
            if tid == daemon and "d_reply_exit" not in mark and nr == 46:
                mark["d_reply_exit"] = t
        t1 = ev[b][0]
        stretch["reply to the next reply (the whole open)"].append(t1 - t0)

        def add(label, x, y):
            if x in mark and y in mark and mark[y] >= mark[x]:
                stretch[label].append(mark[y] - mark[x])

        mark["r0"] = t0
        add("reply sent -> application woken (sched_wakeup)", "r0", "c_wake")
        add("application woken -> on a CPU", "c_wake", "c_run")
        add("reply sent -> application's poll() returns", "r0", "c_poll")
        add("poll() returns -> reply read (recvmsg)", "c_poll",
            "c_reply_read")
        add("reply read -> poll(POLLOUT) returns", "c_reply_read",
            "c_pollout")
        add("poll(POLLOUT) -> close() called", "c_pollout", "c_close")
        add("close() (inside it)", "c_close", "c_close_exit")
        add("close() returns -> next request sent", "c_close_exit", "c_req")
        add("request sent -> daemon woken (when asleep)", "c_req", "d_wake")
        add("request sent -> daemon's epoll_wait returns", "c_req",
            "d_epoll")
        add("request sent -> request read", "c_req", "d_req_read")
        add("request read -> SYN written", "d_req_read", "d_syn")
        mark["r1"] = t1
        add("SYN written -> reply sent", "d_syn", "r1")
        if "c_wake" in mark:
            counts["application woken by the daemon" if
                   mark["c_wake_on_daemon"] else
                   "application woken by another"] += 1
        if "c_run" in mark and "d_reply_exit" in mark:
            counts["application ran on the daemon's CPU"
                   if mark["c_run_cpu"] == ev[a][3] else
                   "application ran on the other CPU"] += 1
    print("cycles (connect reply to connect reply): %d" % cycles)
    print("stretch, µs: median (p25, p75, cycles)")
    for label, v in stretch.items():
        print("  %-50s %s" % (label, q(v)))
    print("per cycle:")
    for k in sorted(counts):
        print("  %-50s %.2f" % (k, counts[k] / cycles))
    for w, c in per.items():
        print("  %s calls %.2f: %s" % (w, sum(c.values()) / cycles, ", ".join(
            "%s %.2f (%.1f µs)" % (k, n / cycles, inside[w][k] / cycles)
            for k, n in c.most_common())))
    print("  daemon, reply -> next request read: %s" % ", ".join(
        "%s %.2f (%.1f µs)" % (k, n / cycles, house_us[k] / cycles)
        for k, n in house.most_common()))
    print("  on each CPU, µs: %s" % ", ".join(
        "cpu%d %s %.1f" % (cpu, w, t / cycles)
        for (cpu, w), t in sorted(on_cpu(ev, who, ev[replies[0]][0],
                                         ev[replies[-1]][0]).items())))


def on_cpu(ev, who, t0, t1):
    """Time each process ran on each CPU between t0 and t1 (idle: the
    CPU ran nothing; other: anybody else)."""
    cur = {}
    run = defaultdict(float)
    for t, kind, tid, cpu, _ in ev:
        if kind != "in":
            continue
        if cpu in cur:
            prev, since = cur[cpu]
            a, b = max(since, t0), min(t, t1)
            if b > a:
                run[(cpu, who.get(prev, "other" if prev else "idle"))] += \
                    b - a
        cur[cpu] = (tid, t)
    return run


if __name__ == "__main__":
    main()

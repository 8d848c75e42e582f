#!/usr/bin/python3
"""soak_watch.py - one line of soak.sh's watch log from a daemon's state.

    soak_watch.py PID ELAPSED_S < status.json   (utcpctl status -a --json)

Prints: seconds, RSS (kB), descriptors, TCP entries by state, UDP
sockets, the pools (in use/allocated), the resolver's cache and pending
lookups, the owners' clients, and every counter named *drop*, *err*,
*fail*, *overflow*, *refused* or *reset* that is not 0; busy=POLLS/HITS,
the busy-polling counters, when it has polled."""
import json
import os
import sys

pid, elapsed = sys.argv[1], sys.argv[2]
st = json.load(sys.stdin)
rss = 0
with open(f"/proc/{pid}/status") as f:
    for line in f:
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
fds = len(os.listdir(f"/proc/{pid}/fd"))
states = {}
udp = 0
for s in st["sockets"]:
    if s.get("protocol") == "tcp":
        key = "LISTEN" if s.get("listener") else s["state"]
        states[key] = states.get(key, 0) + 1
    else:
        udp += 1
pool = st["pool"]
dns = st.get("dns") or {}
clients = sum(o.get("clients", 0) for o in st.get("owners", []))
words = ("drop", "err", "fail", "overflow", "refused", "reset", "timeout")
bad = {k: v for k, v in st["counters"].items()
       if v and any(w in k for w in words)}
c = st["counters"]
busy = (f"busy={c['busy_polls']}/{c['busy_poll_hits']} "
        if c.get("busy_polls") else "")
tcp = " ".join(f"{k}={v}" for k, v in sorted(states.items())) or "-"
print(f"t={elapsed} rss_kb={rss} fds={fds} tcp[{tcp}] udp={udp} "
      f"small={pool['small_in_use']}/{pool['small_allocated']} "
      f"large={pool['large_in_use']}/{pool['large_allocated']} "
      f"dns_cache={dns.get('cache_entries', '-')} "
      f"dns_pending={dns.get('lookups_pending', '-')} clients={clients} "
      f"{busy}bad={json.dumps(bad, separators=(',', ':'))}")

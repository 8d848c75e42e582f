#!/usr/bin/python3
"""test_man_pages.py - the manuals in docs/ against the code and each other.

Usage: test_man_pages.py SOURCE_ROOT LIBUTCP_SO

  - libutcp(3) names every function libutcp exports (the defined utcp_*
    symbols of the built library, `nm -D`) and every function utcp.h
    declares;
  - every reference to one of the project's own pages (a name starting
    with "utcp" or "libutcp", as ".BR utcpd (8)") names a page that
    exists in docs/ in that section;
  - the SEE ALSO of each page names every other page of the project.

Prints each problem; exits 1 when there is one.
"""
import os
import re
import subprocess
import sys

root, lib = sys.argv[1], sys.argv[2]
docs = os.path.join(root, "docs")
problems = []

pages = {}  # "utcpd.8" -> text
for name in sorted(os.listdir(docs)):
    if re.fullmatch(r"[a-z.\-]+\.[1-8]", name):
        with open(os.path.join(docs, name), encoding="utf-8") as f:
            pages[name] = f.read()
if "libutcp.3" not in pages:
    problems.append("docs/libutcp.3 is missing")

# libutcp(3): the exported functions, and utcp.h's
nm = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                    capture_output=True, text=True).stdout
exported = {m.group(1) for m in re.finditer(r" T (utcp_\w+)", nm)}
with open(os.path.join(root, "client-lib", "utcp.h"), encoding="utf-8") as f:
    declared = set(re.findall(r"\b(utcp_\w+)\(", f.read()))
if len(exported) < 10:
    problems.append(f"{lib} exports only {sorted(exported)}")
man3 = pages.get("libutcp.3", "")
for fn in sorted(exported | declared):
    if not re.search(r"\b" + fn + r"\b", man3):
        problems.append(f"libutcp.3 does not document {fn}()")
for fn in sorted(exported - declared):
    problems.append(f"{fn} is exported but not declared in utcp.h")

REF = re.compile(r"^\.[BI]R\s+([A-Za-z0-9_.\\\-]+)\s+\((\d)\)", re.M)
own = {name for name in pages}
for name, text in pages.items():
    for m in REF.finditer(text):
        ref = m.group(1).replace("\\-", "-") + "." + m.group(2)
        if ref.startswith(("utcp", "libutcp")) and ref not in own:
            problems.append(f"{name}: {ref} is not a page in docs/")
    see = re.search(r"^\.SH SEE ALSO\n(.*?)(?=^\.SH|\Z)", text, re.M | re.S)
    if not see:
        problems.append(f"{name}: no SEE ALSO")
        continue
    named = {m.group(1).replace("\\-", "-") + "." + m.group(2)
             for m in REF.finditer(see.group(1))}
    for other in sorted(own - {name}):
        if other not in named:
            problems.append(f"{name}: SEE ALSO does not name {other}")

for p in problems:
    print(p)
print(f"{len(pages)} pages, {len(exported)} exported functions, "
      f"{len(problems)} problems")
sys.exit(1 if problems else 0)

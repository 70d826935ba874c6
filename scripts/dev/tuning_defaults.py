#!/usr/bin/env python3
"""Merges the host entries of a tuning cache (tuning.json, written by
`convopt run/bench --tune`: Winograd tiles and direct conv variants) into
codegen/engine/tuning_defaults.json, the
choices checked in per CPU family that a machine without measurements of its
own takes (codegen/engine/tuning_cache.h). A host key
"<triple> <cpu> features-<hash> for host, N thread(s)" becomes "<cpu>, N thread(s)";
entries tuned for another --cpu are skipped.

Usage: scripts/dev/tuning_defaults.py TUNING_JSON --threads 1 [--threads 2] --measured "where and when"
"""
import argparse
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULTS = os.path.join(ROOT, "codegen", "engine", "tuning_defaults.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache")
    parser.add_argument("--threads", type=int, action="append", required=True,
                        help="thread counts to take (a 2-vCPU VM's 2-thread choices do not carry over)")
    parser.add_argument("--measured", required=True, help="the host and date, kept beside the entry")
    args = parser.parse_args()
    with open(args.cache) as f:
        cache = json.load(f)
    with open(DEFAULTS) as f:
        defaults = json.load(f)
    for key, host in cache["hosts"].items():
        match = re.fullmatch(r"\S+ (\S+) features-[0-9a-f]+ for host, (\d+) thread\(s\)", key)
        sections = [s for s in ("winograd", "variants") if host.get(s)]
        if not match or int(match.group(2)) not in args.threads or not sections:
            continue  # another target, thread count, or only the host's peaks
        family = f"{match.group(1)}, {match.group(2)} thread(s)"
        entry = defaults["hosts"].setdefault(family, {})
        for section in sections:
            entry.setdefault(section, {}).update(host[section])
        entry["measured"] = "; ".join(m for m in (entry.get("measured"), args.measured) if m)
        print(f"{family}: " + ", ".join(f"{len(entry.get(s, {}))} {s} layer(s)" for s in ("winograd", "variants")))
    with open(DEFAULTS, "w") as f:
        json.dump(defaults, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

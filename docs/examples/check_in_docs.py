#!/usr/bin/env python3
"""Fails unless docs/API.md quotes each given example (docs/examples/udp_echo.c, tcp_echo.c)
verbatim, so the documented examples are the ones the build compiles.
Usage: check_in_docs.py API.md EXAMPLE.c [EXAMPLE.c ...]"""
import sys

api, examples = sys.argv[1], sys.argv[2:]
if not examples:
    sys.exit("usage: check_in_docs.py API.md EXAMPLE.c [EXAMPLE.c ...]")
text = open(api).read()
missing = [e for e in examples if open(e).read().rstrip("\n") not in text]
if missing:
    sys.exit("".join(f"{api} does not quote {e} verbatim: paste the current file into it\n" for e in missing).rstrip())

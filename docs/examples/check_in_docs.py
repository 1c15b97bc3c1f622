#!/usr/bin/env python3
"""Fails unless docs/API.md quotes docs/examples/udp_echo.c verbatim (so the documented
example is the one the build compiles)."""
import sys

api, example = sys.argv[1], sys.argv[2]
if open(example).read().rstrip("\n") not in open(api).read():
    sys.exit(f"{api} does not quote {example} verbatim: paste the current file into it")

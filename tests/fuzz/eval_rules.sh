#!/bin/sh
# eval_rules.sh -- (make check) every eval: test in milter/'s tables has a
# rule in the fuzz targets' rule files (tests/fuzz/gen_eval_rules.py).
# Skips (77) without python3.
command -v python3 >/dev/null 2>&1 || { echo "eval_rules: no python3"; exit 77; }
exec python3 "${srcdir:-.}/tests/fuzz/gen_eval_rules.py" --check \
    --srcdir "${srcdir:-.}"

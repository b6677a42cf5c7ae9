#!/bin/sh
# tests/gen/verify.sh - confirms every fact in tests/fixtures/MANIFEST with tshark.
# The tshark commands it runs are listed at the top of verify.py; -v prints each one.
#   sh tests/gen/verify.sh [-v] [FIXTURE...]
exec python3 "$(dirname "$0")/verify.py" "$@"

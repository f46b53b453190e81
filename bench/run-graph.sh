#!/usr/bin/env bash
# bench/run-graph.sh — builds bench/graph_bench.c (Release, in build-bench/ or
# $BENCH_BUILD_DIR) and runs it. Arguments go to the benchmark:
#   bash bench/run-graph.sh [--files N] [--revs N] [--runs N]
# It prints the time to load a folder of N migration files (default 10,000),
# and to build, plan and draw synthetic graphs of up to --revs revisions
# (default 100,000; also at 1/8, 1/4 and 1/2 of it, to show the growth).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${BENCH_BUILD_DIR:-$ROOT/build-bench}
cmake -S "$ROOT/bench" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$B" -j"$(nproc)" --target graph_bench >/dev/null
exec "$B/graph_bench" "$@"

#!/usr/bin/env bash
# scripts/check-layering.sh must pass on the tree and fail, naming file and line, on a tree that
# crosses the graph (an upward include, another module's detail/, a module missing from the graph).
set -euo pipefail
src=${1:?source dir}
script=$src/scripts/check-layering.sh
"$script" "$src"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/docs" "$t/src/util" "$t/src/rpc/detail" "$t/src/protocol" "$t/tests/util"
printf '<!-- layering:begin -->\nutil:\nrpc: util\nprotocol: util\n<!-- layering:end -->\n' >"$t/docs/architecture.md"
printf '#include "util/x.hpp"\n' >"$t/src/rpc/a.cpp"
"$script" "$t" >/dev/null
expect_failure() {  # $1: what the message must contain
  if out=$("$script" "$t" 2>&1); then echo "FAIL: passed although $1 expected"; exit 1; fi
  grep -qF -- "$1" <<<"$out" || { echo "FAIL: expected '$1' in: $out"; exit 1; }
}
printf '#include "rpc/client.hpp"\n' >"$t/src/util/b.cpp"
expect_failure 'src/util/b.cpp:1: util may not include rpc/'
rm "$t/src/util/b.cpp"
printf '\n#include "rpc/detail/t.hpp"\n' >"$t/src/protocol/c.cpp"
expect_failure 'src/protocol/c.cpp:2: includes rpc/detail/t.hpp, private to src/rpc/'
rm "$t/src/protocol/c.cpp"
printf '#include "rpc/detail/t.hpp"\n' >"$t/tests/util/d_test.cpp"
expect_failure 'tests/util/d_test.cpp:1: includes rpc/detail/'
rm "$t/tests/util/d_test.cpp"
mkdir -p "$t/src/extra"
expect_failure 'src/extra/: module missing from the graph'
echo "layering check: catches all three kinds"

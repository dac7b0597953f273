#!/usr/bin/env bash
# The layering check (make test runs it): every `#include "M/..."` in src/<module>/ must name the
# module itself or one the allowed graph lets it use, and `M/detail/...` is private to module M
# (its sources and tests/M/). The graph is written once, in docs/architecture.md between the
# `layering:begin` and `layering:end` markers, one `module: allowed modules` line each.
#   scripts/check-layering.sh [SOURCE_DIR]     exit 0: clean; 1: violations (one line each)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc=$root/docs/architecture.md
declare -A allowed
in_graph=0
lineno=0
while IFS= read -r line; do
  lineno=$((lineno + 1))
  case $line in
    *layering:begin*) in_graph=1; continue ;;
    *layering:end*) in_graph=0; continue ;;
  esac
  [[ $in_graph == 1 && $line =~ ^([a-z_]+):(.*)$ ]] || continue
  allowed[${BASH_REMATCH[1]}]=" ${BASH_REMATCH[2]} "
done <"$doc"
if [[ ${#allowed[@]} == 0 ]]; then
  echo "check-layering: $doc: no graph between layering:begin and layering:end" >&2
  exit 1
fi

bad=0
report() { echo "layering: $1" >&2; bad=1; }

for dir in "$root"/src/*/; do
  m=$(basename "$dir")
  if [[ -z ${allowed[$m]+set} ]]; then
    report "src/$m/: module missing from the graph in docs/architecture.md"
    continue
  fi
  while IFS=: read -r file num text; do
    [[ $text =~ \#include\ \"([a-z_]+)/([^\"]*)\" ]] || continue
    dep=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
    rel=${file#"$root"/}
    [[ $dep == "$m" ]] && continue
    if [[ $rest == detail/* ]]; then
      report "$rel:$num: includes $dep/$rest, private to src/$dep/"
    elif [[ ${allowed[$m]} != *" $dep "* ]]; then
      report "$rel:$num: $m may not include $dep/ (allowed:${allowed[$m]% })"
    fi
  done < <(grep -rn --include='*.hpp' --include='*.cpp' '^[[:space:]]*#include "' "$dir" || true)
done

# Tests, benchmarks, fuzzers and apps use public headers only, except a module's own tests.
for dir in "$root"/tests "$root"/bench "$root"/fuzz "$root"/apps; do
  [[ -d $dir ]] || continue
  while IFS=: read -r file num text; do
    [[ $text =~ \#include\ \"([a-z_]+)/detail/ ]] || continue
    dep=${BASH_REMATCH[1]}
    rel=${file#"$root"/}
    [[ $rel == tests/$dep/* ]] && continue
    report "$rel:$num: includes $dep/detail/, private to src/$dep/ (only tests/$dep/ may)"
  done < <(grep -rn --include='*.hpp' --include='*.cpp' '^[[:space:]]*#include "[a-z_]*/detail/' "$dir" || true)
done

if [[ $bad == 0 ]]; then
  echo "layering: ok (${#allowed[@]} modules, graph from docs/architecture.md)"
fi
exit $bad

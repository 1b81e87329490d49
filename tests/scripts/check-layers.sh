#!/usr/bin/env bash
# Fails when the folders of proxy/ include each other in a circle, or when watcher/ includes proxy/. The folders
# stand in one order, bottom to top; a file may include its own folder and the folders below it, never one above.
# (The order is the README's "How it is built".) Run by ctest, so CI fails on a cycle.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Bottom first. proxy/ itself (main, dev_server: the wiring) is the top.
order=(base tls http settings app browser status serve front control proxy)
rank() {
  local i
  for i in "${!order[@]}"; do [[ "${order[$i]}" == "$1" ]] && { echo "$i"; return; }; done
  echo -1
}

status=0
while IFS= read -r -d '' f; do
  dir=$(dirname "$f")
  from=${dir#proxy/}; [[ "$dir" == proxy ]] && from=proxy
  from_rank=$(rank "$from")
  if ((from_rank < 0)); then
    echo "check-layers: $f: folder $dir is not in the order (add it to tests/scripts/check-layers.sh and the README)"
    status=1
    continue
  fi
  while IFS= read -r inc; do
    to=$(dirname "$inc"); to=${to#proxy/}; [[ "$to" == proxy ]] && to=proxy
    to_rank=$(rank "$to")
    if ((to_rank < 0 || to_rank > from_rank)); then
      echo "check-layers: $f includes \"$inc\": $from may include only $(IFS=' '; echo "${order[*]:0:from_rank+1}" | sed 's/ /, /g')"
      status=1
    fi
  done < <(grep -oE '^#include "proxy/[a-z_/]+\.hpp"' "$f" | sed -E 's/#include "(.*)"/\1/')
done < <(find proxy -name '*.[ch]pp' -print0)

if grep -rlE '^#include "proxy/' watcher >/dev/null; then
  grep -rnE '^#include "proxy/' watcher | sed 's/^/check-layers: watcher\/ may not include proxy\/: /'
  status=1
fi
((status == 0)) && echo "check-layers: proxy/ folders include each other in one direction (${order[*]})"
exit "$status"

#!/usr/bin/env bash
# Dependencies run one way, core ← channels ← service ← cli ← gui: no folder
# under src/ includes a header of a folder after it, nothing outside gui
# includes GTK, and meson gives no folder the include path of one after it,
# so that a wrong include would not even compile.
# Usage: check-layers.sh SOURCE_ROOT BUILD_ROOT
set -eu
commands=$(cd "$2" && pwd)/compile_commands.json
cd "$1/src"
layers=(core channels service cli gui)
headers=() files=()
for layer in "${layers[@]}"; do
  headers+=("$layer"/*.h)
  files+=("$layer"/*.[ch])
done

# Three inputs: which layer holds each header; every include line of the
# layers' files, as grep prints it; meson's compile commands, one entry per
# compiled file with its "command" before its "file".
awk -v order="${layers[*]}" '
  BEGIN { n = split(order, names, " "); for (i = 1; i <= n; i++) rank[names[i]] = i }
  FNR == 1 { part++ }

  part == 1 { split($0, parts, "/"); owner[parts[2]] = parts[1]; next }

  part == 2 {
    colon = index($0, ":")
    file = substr($0, 1, colon - 1)
    line = substr($0, colon + 1)
    split(file, parts, "/")
    layer = parts[1]
    includes++
    if (match(line, /"[^"]+"/)) {
      header = substr(line, RSTART + 1, RLENGTH - 2)
      sub(/.*\//, "", header)
      if ((header in owner) && rank[owner[header]] > rank[layer]) {
        print "not ok: src/" file " includes " header " from src/" owner[header] ", which comes after src/" layer
        bad = 1
      }
    } else if (layer != "gui" && line ~ /<(gtk|gdk|adwaita)/) {
      print "not ok: src/" file " includes GTK (" line "); only src/gui may"
      bad = 1
    }
    next
  }

  /"command":/ { command = $0 }
  /"file":/ && match($0, /src\/[a-z]+\/[^\/"]+\.c"/) {
    file = substr($0, RSTART + 4, RLENGTH - 5)
    split(file, parts, "/")
    layer = parts[1]
    if (!(layer in rank))
      next
    compiled++
    rest = command
    # Each folder is on the path twice, from the source and the build tree.
    while (match(rest, /-I[^ "]*src\/[a-z]+/)) {
      dir = substr(rest, RSTART, RLENGTH)
      rest = substr(rest, RSTART + RLENGTH)
      sub(/.*src\//, "", dir)
      if ((dir in rank) && rank[dir] > rank[layer] && !((file, dir) in told)) {
        told[file, dir] = 1
        print "not ok: src/" file " is compiled with src/" dir " on its include path"
        bad = 1
      }
    }
  }

  END {
    if (compiled == 0) {
      print "not ok: no compile command of a file under src/ in " ARGV[3]
      bad = 1
    }
    if (!bad)
      printf "ok: %s: %d includes, the include paths of %d compiled files, all pointing back\n",
             order, includes, compiled
    exit bad
  }' \
  <(printf '%s\n' "${headers[@]}") \
  <(grep -HE '^#[[:space:]]*include' "${files[@]}") \
  "$commands"

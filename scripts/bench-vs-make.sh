#!/usr/bin/env bash
# aloft against make -j2 on the same shapes with the same commands:
#   fan1000: a source, 1,000 parallel `true` tasks, a gather task
#   chain100: a chain of 100 `true` tasks
#   cached1000: fan1000 again with everything cached (aloft only)
# and, for scale:
#   floor:   scripts/spawnfloor starting the same processes from Go and
#            doing nothing else;
#   records: the floor plus, per task, only the files the bucket layout
#            keeps for an attempt (two directories, inputs.json, claim.json,
#            outputs.json, a catalog entry), written the cheapest way (no
#            engine, no temporary files, no hashing) and made durable by
#            one syncfs at the end, the least a run owes before it reports
#            success (Decision 5);
#   memfs:   aloft with its store on a memory file system (/dev/shm, where
#            there is one), to tell what the disk costs from what aloft does.
# Prints a table of best-of-N wall times (RUNS, default 5) and the ratios
# aloft/make and records/make. To see where aloft spends its time:
# ALOFT_CPUPROFILE=cpu.out aloft run ...; go tool pprof -top bin/aloft cpu.out.
set -euo pipefail
cd "$(dirname "$0")/.."
ALOFT=${ALOFT:-$(pwd)/bin/aloft} # ALOFT=path compares another build
RUNS=${RUNS:-5}
work=$(mktemp -d)
mem="" # the stores on a memory file system, made further down
trap 'rm -rf "$work" ${mem:+"$mem"}' EXIT
# The floor: the same processes started from Go with nothing else done.
go build -o "$work/spawnfloor" ./scripts/spawnfloor

gen() { # gen SHAPE N -> writes $work/SHAPE/{wf.yaml,Makefile}
  local shape=$1 n=$2 d=$work/$1
  mkdir -p "$d"
  {
    echo "apiVersion: aloft/v1"; echo "kind: Workflow"; echo "name: $shape"
    echo "defaults: {cache: {version: \"1\"}}"
    echo "tasks:"; echo "  noop: {inputs: {i: int}, command: [\"true\", \"{{inputs.i}}\"]}"
    echo "nodes:"
    if [ "$shape" = fan ]; then
      echo "  source: {task: noop, inputs: {i: 0}}"
      for i in $(seq 1 "$n"); do echo "  t$i: {task: noop, inputs: {i: $i}, after: [source]}"; done
      printf "  gather: {task: noop, after: ["; for i in $(seq 1 "$n"); do printf "t$i"; [ "$i" -lt "$n" ] && printf ", "; done; echo "], inputs: {i: -1}}"
    else
      echo "  t1: {task: noop, inputs: {i: 1}}"
      for i in $(seq 2 "$n"); do echo "  t$i: {task: noop, inputs: {i: $i}, after: [t$((i-1))]}"; done
    fi
  } > "$d/wf.yaml"
  { # the same argv as aloft's tasks: `true` with an argument sets up its locale, without one it does not
    if [ "$shape" = fan ]; then
      printf "all: gather\nsource:\n\t@true 0\n"
      for i in $(seq 1 "$n"); do printf "t$i: source\n\t@true $i\n"; done
      printf "gather:"; for i in $(seq 1 "$n"); do printf " t$i"; done; printf "\n\t@true -1\n"
    else
      printf "all: t$n\nt1:\n\t@true 1\n"
      for i in $(seq 2 "$n"); do printf "t$i: t$((i-1))\n\t@true $i\n"; done
    fi
    echo ".PHONY: all $(if [ "$shape" = fan ]; then echo source gather; fi) $(seq -f 't%g' 1 "$n" | tr '\n' ' ')"
  } > "$d/Makefile"
}

secs() { # secs CMD... -> wall seconds of one run of CMD
  local s e
  s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }; e=$(date +%s.%N)
  echo "$e - $s" | bc
}
fmt3() { if [ "$1" = - ]; then echo -; else printf "%.3f" "$1"; fi; } # seconds, or "-" for none
lower() { # lower A B -> the smaller of two times ("" counts as none)
  if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi
}

gen fan 1000
gen chain 100

cd "$work"
# Each cold run gets a new, empty store, as a first run does. The stores
# are removed when the script ends, not between runs: on ext4 without a
# journal (this machine's disk), each new inode skips, one lookup at a time,
# the free inodes of its group that were freed in the last half minute or
# more (the kernel's recently_deleted check), so deleting thousands of files
# makes the next runs' file creations several times slower (measured here:
# fan1000 at 2.3 s of system time instead of 0.5 s), a cost of the
# benchmark's own cleanup that make, which creates no files, never pays.
# For the same reason `make bench` runs this script before the Go
# benchmarks, which remove their temporary stores.
store=""
[ -d /dev/shm ] && [ -w /dev/shm ] && mem=$(mktemp -d /dev/shm/aloft-bench-XXXXXX)
fresh() { store=$(mktemp -d "$work/store-XXXXXX"); }
fresh_mem() { store=$(mktemp -d "$mem/store-XXXXXX"); }
run() { "$ALOFT" run "$1" --store "$store" --quiet --max-parallel 2; }

# aloft and make take turns, so that both see the same load on a noisy
# machine; each figure is the best of $RUNS.
row="%-12s %9s %9s %9s %9s %9s %7s %9s\n"
printf "$row" SHAPE "aloft(s)" "make(s)" "floor(s)" "records" "memfs(s)" ratio "rec/make"
for shape in fan chain; do
  a="" m="" f="" r="" x="-"
  n=$([ $shape = fan ] && echo 1000 || echo 100)
  for _ in $(seq "$RUNS"); do
    fresh
    a=$(lower "$a" "$(secs run "$work/$shape/wf.yaml")")
    m=$(lower "$m" "$(secs make -s -j2 -C "$work/$shape" -f Makefile)")
    f=$(lower "$f" "$(secs "$work/spawnfloor" "$shape" "$n")")
    r=$(lower "$r" "$(secs "$work/spawnfloor" -records "$(mktemp -d "$work/records-XXXXXX")" "$shape" "$n")")
    if [ -n "$mem" ]; then
      fresh_mem
      x=$(lower "${x#-}" "$(secs run "$work/$shape/wf.yaml")")
      rm -rf "$store" # memory, not disk: removing costs the next run nothing
    fi
  done
  printf "$row" "$shape$n" "$(fmt3 "$a")" "$(fmt3 "$m")" "$(fmt3 "$f")" "$(fmt3 "$r")" "$(fmt3 "$x")" \
    "$(echo "scale=2; $a / $m" | bc)" "$(echo "scale=2; $r / $m" | bc)"
done
fresh; run "$work/fan/wf.yaml" >/dev/null 2>&1
c=""
for _ in $(seq "$RUNS"); do c=$(lower "$c" "$(secs run "$work/fan/wf.yaml")"); done
printf "$row" cached1000 "$(fmt3 "$c")" - - - - "" "target<0.3s"

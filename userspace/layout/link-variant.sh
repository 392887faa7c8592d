#!/usr/bin/env bash
# Links stdcheck layout variants (see variants.txt and userspace/README.md).
#
#   link-variant.sh probe   CXX NM PAD_C STDCHECK_O LIBAKUMA_A WORK PAD_DATA PROBE_OUT
#   link-variant.sh variant CXX NM STRIP PAD_C STDCHECK_O LIBAKUMA_A WORK INDEX PAD_DATA OFFSET PROBE BIN_OUT LINE_OUT
#
# probe:   links stdcheck with an 8-byte BSS pad and PAD_DATA bytes of data
#          pad and writes the resulting _end (hex) to PROBE_OUT.
# variant: picks the BSS pad N that puts _end at OFFSET bytes from a page
#          boundary (P = the first page boundary at least 4112 bytes above the
#          probe's _end, so every OFFSET >= -4104 gives N >= 8), or N = 0 for
#          OFFSET "natural"; links, checks _end landed there and that
#          libakuma's malloc is the one linked, strips into BIN_OUT and writes
#          a table line to LINE_OUT. The BSS pad is a COMMON symbol, placed
#          after all other BSS, so _end moves by exactly N.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
page=4096

# compile_and_link CXX PAD_C STDCHECK_O LIBAKUMA_A WORK NAME INDEX PAD_BSS PAD_DATA -> WORK/NAME.elf
compile_and_link() {
  local cxx=$1 pad_c=$2 stdcheck_o=$3 libakuma=$4 work=$5 name=$6 index=$7 bss=$8 data=$9
  "$cxx" -x c -std=gnu11 -Os -fcommon -DAKUMA_LAYOUT_VARIANT="$((10#$index))" -DAKUMA_PAD_BSS="$bss" \
    -DAKUMA_PAD_DATA="$data" -c "$pad_c" -o "$work/$name.pad.o"
  # The pad object comes first: its .data leads .data.
  "$cxx" -static -Os -o "$work/$name.elf" "$work/$name.pad.o" "$stdcheck_o" \
    -Wl,--whole-archive "$libakuma" -Wl,--no-whole-archive
}

symbol() { # symbol NM ELF NAME -> address as a decimal number
  local address
  address=$("$1" "$2" | awk -v name="$3" '$3 == name { print $1; exit }')
  [[ -n $address ]] || { echo "link-variant: no symbol $3 in $2" >&2; exit 1; }
  echo $((16#$address))
}

mode=$1
shift
case $mode in
  probe)
    cxx=$1 nm=$2 pad_c=$3 stdcheck_o=$4 libakuma=$5 work=$6 data=$7 out=$8
    mkdir -p "$work"
    compile_and_link "$cxx" "$pad_c" "$stdcheck_o" "$libakuma" "$work" "probe-$data" 0 8 "$data"
    printf '%x\n' "$(symbol "$nm" "$work/probe-$data.elf" _end)" > "$out"
    ;;
  variant)
    cxx=$1 nm=$2 strip=$3 pad_c=$4 stdcheck_o=$5 libakuma=$6 work=$7 index=$8 data=$9 offset=${10} probe=${11}
    bin_out=${12} line_out=${13}
    mkdir -p "$work" "$(dirname "$bin_out")"
    probe_end=$((16#$(cat "$probe")))
    if [[ $offset == natural ]]; then
      bss=0 expected=
    else
      (( offset % 8 == 0 && offset >= -4104 )) || { echo "link-variant: bad offset $offset" >&2; exit 1; }
      boundary=$(( (probe_end + 4112 + page - 1) / page * page ))
      expected=$((boundary + offset))
      bss=$((expected - probe_end + 8))
    fi
    name=stdcheck-$index
    compile_and_link "$cxx" "$pad_c" "$stdcheck_o" "$libakuma" "$work" "$name" "$index" "$bss" "$data"
    elf=$work/$name.elf
    end=$(symbol "$nm" "$elf" _end)
    if [[ -n $expected && $end != "$expected" ]]; then
      printf 'link-variant: %s: _end is 0x%x, wanted 0x%x\n' "$name" "$end" "$expected" >&2
      exit 1
    fi
    "$here/../tools/check-malloc-symbols.sh" "$nm" "$elf"
    "$strip" -o "$bin_out" "$elf"
    # Where the brk allocator's state sits matters too: the original bug
    # corrupted allocator state kept in BSS right below the heap.
    state=$(symbol "$nm" "$elf" _ZN5akuma4user12_GLOBAL__N_15g_brkE)
    edata=$(symbol "$nm" "$elf" _edata)
    brk_start=$(( (end + page - 1) / page * page ))
    printf '%s  pad_bss=%-5d pad_data=%-5d _edata=0x%x _end=0x%x (page+0x%03x, %5d below brk start 0x%x)  brk_state=0x%x (page+0x%03x)  %d bytes\n' \
      "$name" "$bss" "$data" "$edata" "$end" $((end % page)) $((brk_start - end)) "$brk_start" \
      "$state" $((state % page)) "$(stat -c %s "$bin_out")" > "$line_out"
    ;;
  *)
    echo "link-variant: unknown mode $mode" >&2
    exit 2
    ;;
esac

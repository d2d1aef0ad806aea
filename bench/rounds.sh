# Interleaved rounds shared by bench/run.sh and bench/h2.sh (sourced; not run on its own).
#
# run_rounds TSV: ROUNDS rounds over the targets in `round_targets` (with `round_url` and
# `round_pid`, associative arrays), one turn each per round, the order rotated every round.
# A turn calls the script's `measure_turn ROUND TARGET URL`, which runs the load and prints
# "REQ_PER_S REQUESTS"; the target's CPU ticks (the script's `cpu_ticks PID`) are read around
# it. Appends "round target req/s requests ticks" lines to TSV (bench/rounds.py reads them).
run_rounds() {
  local tsv=$1 n=${#round_targets[@]} r i t pid before after rps requests
  : >"$tsv"
  for ((r = 0; r < ROUNDS; r++)); do
    for ((i = 0; i < n; i++)); do
      t=${round_targets[$(((i + r) % n))]}
      pid=${round_pid[$t]} before=0 after=0
      [[ -z "$pid" ]] || before=$(cpu_ticks "$pid")
      read -r rps requests <<<"$(measure_turn "$r" "$t" "${round_url[$t]}")"
      [[ -z "$pid" ]] || after=$(cpu_ticks "$pid")
      printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$t" "${rps:-0}" "${requests:-0}" "$((after - before))" >>"$tsv"
    done
    log "round $((r + 1))/$ROUNDS: $(awk -F'\t' -v r="$r" '$1 == r {printf "%s %s  ", $2, $3}' "$tsv")"
  done
}

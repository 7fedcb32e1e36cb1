# Sourced by the benchmarks that use the desk (bench/readership.sh,
# bench/live.sh): starts `$bin serve` on $PORT with "${db_args[@]}" (its
# log in $work/serve.log), waits until it answers, and signs in a new
# account of role $1, leaving $server_pid, $base and the session's $cookie.
serve_signed_in() {
  MASTHEAD_LOG=warn "$bin" serve "${db_args[@]}" --listen "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$PORT"
  until curl -sf "$base/healthz" >/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.01
  done
  local password="a long benchmark password" link
  link=$("$bin" user add --role "$1" --name "Bench $1" "bench-$1@example.org" "${db_args[@]}" | grep -o '/desk/password/[0-9a-f]*')
  curl -s -o /dev/null --data-urlencode "password=$password" --data-urlencode "repeated=$password" "$base$link"
  cookie=$(curl -s -o /dev/null -D - --data-urlencode "email=bench-$1@example.org" --data-urlencode "password=$password" "$base/desk/login" |
    grep -i '^set-cookie:' | head -n 1 | sed 's/^[^:]*: //; s/;.*//')
  [ -n "$cookie" ] || { echo "bench: could not sign in"; exit 1; }
}

#!/bin/sh
# Stand-in for flin/page-hit-counter: one HTTP request per run (nc -ll -e), asks the
# "redis" service by name for the next count and answers like the seed's app.
while read -r line; do
    [ -z "$(printf '%s' "$line" | tr -d '\r')" ] && break
done
if r=$(timeout 5 wget -q -O- "http://${REDIS_HOST:-redis}:${REDIS_PORT:-6379}/cgi-bin/incr" 2>&1); then
    set -- $r
    body="You have hit this page $1 times. - Edition ${EDITION:-v1} (counted by $2)"
else
    body="error: cannot reach ${REDIS_HOST:-redis}: $r"
fi
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s\n' \
    "$(( ${#body} + 1 ))" "$body"

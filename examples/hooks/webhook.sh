#!/bin/sh
# A lavavisor hook that posts the event to a webhook (Slack, Discord, Mattermost, any JSON
# endpoint), e.g. --post-upgrade-hook, --on-rollback-hook, --on-crash-loop-hook.
# lavavisor sets LAVAVISOR_HOOK, LAVAVISOR_FROM_VERSION, LAVAVISOR_TO_VERSION, LAVAVISOR_REASON,
# LAVAVISOR_COMMAND and LAVAVISOR_DIRECTORY; the URL (and WEBHOOK_TIMEOUT, seconds,
# default 10; keep it below --hook-timeout) come from the service's environment.
# What it prints goes to lavavisor's log; it is killed after --hook-timeout (default 60s).
set -eu
: "${WEBHOOK_URL:?set WEBHOOK_URL in lavavisor's environment}"
host=$(hostname)
# JSON-escape the free text (the reason may hold quotes).
escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n' ' '; }
text="lavavisor on ${host}: ${LAVAVISOR_HOOK} ${LAVAVISOR_FROM_VERSION:-?} -> ${LAVAVISOR_TO_VERSION:-?}: $(escape "$LAVAVISOR_REASON")"
curl --silent --show-error --fail --max-time "${WEBHOOK_TIMEOUT:-10}" \
  -H 'Content-Type: application/json' \
  -d "{\"text\":\"${text}\"}" \
  "$WEBHOOK_URL"
echo "posted: ${text}"

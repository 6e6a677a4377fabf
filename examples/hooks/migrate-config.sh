#!/bin/sh
# A --pre-switch-hook that adapts the provider's config before lavap moves to a new version,
# for a release whose notes say a key was renamed. Exits non-zero to hold the switch: lavavisor
# then keeps the running lavap and runs this hook again at the next check.
# lavavisor sets LAVAVISOR_FROM_VERSION, LAVAVISOR_TO_VERSION and the others (see webhook.sh).
set -eu
config=${PROVIDER_CONFIG:-/etc/lavavisor/provider.yml}
case "$LAVAVISOR_TO_VERSION" in
  # Example: from 5.x to 6.x the key "network-address" became "address" (illustrative).
  6.*)
    if grep -Eq '^[ -]*network-address:' "$config"; then
      cp -p "$config" "$config.before-$LAVAVISOR_TO_VERSION"
      sed -E 's/^([ -]*)network-address:/\1address:/' "$config" > "$config.new"
      mv "$config.new" "$config"
      echo "renamed network-address to address in $config (copy kept as $config.before-$LAVAVISOR_TO_VERSION)"
    fi
    ;;
esac
# Refuse the switch when the config no longer reads as YAML lavap can load (here: not empty).
[ -s "$config" ] || { echo "$config is empty: holding the switch" >&2; exit 1; }

#!/bin/sh
# Run by docker-compose.yml's `check-secrets` service before anything that uses a secret starts:
# compose itself can only refuse an unset value, not a placeholder or a value that would break
# where it is put (a URL for POSTGRES_PASSWORD, the JSON of HASURA_GRAPHQL_JWT_SECRET for
# STREAMSYNC_JWT_KEY). Each refusal names the variable and how to make a good one.
fail=0
check() {
  name=$1 value=$2 min=$3
  case "$value" in
    *change-me*)
      echo "$name in .env is still the .env.example placeholder: generate one with openssl rand -hex 32"
      fail=1
      return
      ;;
  esac
  if [ "${#value}" -lt "$min" ]; then
    echo "$name in .env is ${#value} characters: use at least $min (openssl rand -hex 32)"
    fail=1
  fi
  case "$value" in
    *[!A-Za-z0-9._~-]*)
      echo "$name in .env may hold only letters, digits and - _ . ~ (it goes into a URL or JSON): openssl rand -hex 32 makes one"
      fail=1
      ;;
  esac
}
check POSTGRES_PASSWORD "$POSTGRES_PASSWORD" 16
check HASURA_GRAPHQL_ADMIN_SECRET "$HASURA_GRAPHQL_ADMIN_SECRET" 32
check STREAMSYNC_JWT_KEY "$STREAMSYNC_JWT_KEY" 32
check STREAMSYNC_WEBHOOK_SECRET "$STREAMSYNC_WEBHOOK_SECRET" 16
[ "$fail" = 0 ] && echo 'secrets: ok'
exit "$fail"

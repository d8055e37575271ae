#!/bin/sh
# One-shot onboarding of the docker-compose stack's tenants, after init.sh made the tables: every tenant of
# the local authorization policy gets its branch key and tenant record through the admin CLI
# (tokenizer-service/src/admin, bundled as /app/server.mjs by the Dockerfile; ADMIN_CLI names another entry,
# as local-stack/test/compose-onboarding.test.ts does). A tenant that exists (exit 4, refused) is left as it
# is; KMS or DynamoDB not answering yet (exit 5) is retried.
set -eu
tenants=$(node -e 'const { principals } = require(process.argv[1]); console.log([...new Set(principals.map((p) => p.tenant))].join(" "))' "$POLICY_FILE")
for tenant in $tenants; do
  attempt=1
  while :; do
    status=0
    node "${ADMIN_CLI:-/app/server.mjs}" tenants create "$tenant" || status=$?
    case $status in
      0) break ;;
      4) echo "tenant $tenant exists"; break ;;
      5) [ "$attempt" -lt 15 ] || exit 5; attempt=$((attempt + 1)); sleep 2 ;;
      *) exit "$status" ;;
    esac
  done
done

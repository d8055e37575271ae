#!/bin/sh
# One-shot init of the docker-compose stack: the vault and order tables (with TTL) and the branch key store
# table in DynamoDB Local. The KMS keys come from kms-seed.yaml, the user pool from local-stack/cognito-seed,
# the tenants from onboard-tenants.sh (run after this). The order and key store tables' definitions are
# order-table.json and key-store-table.json, the services' own (order-table.ts, key-store-table.ts;
# local-stack/test/docker-compose.test.ts keeps them the same).
set -eu
here=$(dirname "$0")
ddb() { aws dynamodb --endpoint-url "$DYNAMODB_ENDPOINT" "$@"; }
ttl() {
  ddb update-time-to-live --table-name "$1" --time-to-live-specification "Enabled=true,AttributeName=expiresAt" >/dev/null
  echo "created $1"
}
create() {
  table=$1 key=$2
  if ddb describe-table --table-name "$table" >/dev/null 2>&1; then return; fi
  ddb create-table --table-name "$table" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions "AttributeName=$key,AttributeType=S" --key-schema "AttributeName=$key,KeyType=HASH" >/dev/null
  ttl "$table"
}
create_from() {
  table=$1 definition=$2 expiry=${3:-ttl}
  if ddb describe-table --table-name "$table" >/dev/null 2>&1; then return; fi
  ddb create-table --cli-input-json "file://$definition" --table-name "$table" >/dev/null
  if [ "$expiry" = ttl ]; then ttl "$table"; else echo "created $table"; fi
}
create "$TOKEN_VAULT_TABLE_NAME" pk
create_from "$ORDER_TABLE_NAME" "$here/order-table.json"
# No TTL: branch keys go only when a tenant is shredded.
create_from "$KEY_STORE_TABLE_NAME" "$here/key-store-table.json" no-ttl

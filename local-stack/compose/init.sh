#!/bin/sh
# One-shot init of the docker-compose stack: the two tables (with TTL) in DynamoDB Local.
# The KMS key comes from kms-seed.yaml, the user pool from local-stack/cognito-seed. The order table's
# definition is order-table.json, the service's own (order-table.ts; local-stack/test/docker-compose.test.ts
# keeps the two the same).
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
  table=$1 definition=$2
  if ddb describe-table --table-name "$table" >/dev/null 2>&1; then return; fi
  ddb create-table --cli-input-json "file://$definition" --table-name "$table" >/dev/null
  ttl "$table"
}
create "$TOKEN_VAULT_TABLE_NAME" pk
create_from "$ORDER_TABLE_NAME" "$here/order-table.json"

#!/bin/sh
# One-shot init of the docker-compose stack: the two tables (with TTL) in DynamoDB Local.
# The KMS key comes from kms-seed.yaml, the user pool from local-stack/cognito-seed.
set -eu
ddb() { aws dynamodb --endpoint-url "$DYNAMODB_ENDPOINT" "$@"; }
create() {
  table=$1 key=$2
  if ddb describe-table --table-name "$table" >/dev/null 2>&1; then return; fi
  ddb create-table --table-name "$table" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions "AttributeName=$key,AttributeType=S" --key-schema "AttributeName=$key,KeyType=HASH" >/dev/null
  ddb update-time-to-live --table-name "$table" --time-to-live-specification "Enabled=true,AttributeName=expiresAt" >/dev/null
  echo "created $table"
}
create "$TOKEN_VAULT_TABLE_NAME" pk
create "$ORDER_TABLE_NAME" CustomerOrder

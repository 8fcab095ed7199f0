#!/usr/bin/env bash
# Cycles the Azkaban executor and web-server ECS services so that the `executors` table holds
# only live executors (container-and-ops.md sections 6 and 7). Kept for teams that want the old
# developer ritual; the order of the AWS calls is the original's:
#
#   1. scale azkaban-executor to 0
#   2. scale azkaban-webserver to 0 with --force-new-deployment
#   3. wait until both report runningCount 0
#   4. invoke the truncate lambda with { "table_to_truncate": "executors" }
#   5. start azkaban-executor (desired count 1) on the given task definition
#   6. wait until the executor reports a running task
#   7. start azkaban-webserver (desired count 1)
#
# Differences from the original, all on the failure paths:
#   * any failed AWS call stops the script (the original carried on);
#   * a lambda that reports a function error (HTTP 200 with FunctionError / errorMessage) stops it;
#   * a missing service or an unreadable count (`null`) is an error, not "stopped";
#   * waits are bounded in seconds (env below) and end with a clear error;
#   * the lambda payload is passed with --cli-binary-format raw-in-base64-out (AWS CLI v2);
#   * the lambda result goes to a temporary file instead of ./output.json.
#
# Stop any running flow first: stopping the executors kills them.
#
# Environment (all optional):
#   ROTATE_WAIT_SECONDS        default for both waits below
#   ROTATE_STOP_WAIT_SECONDS   how long to wait for both services to reach 0 (default 350)
#   ROTATE_START_WAIT_SECONDS  how long to wait for a running executor (default 100)
#   ROTATE_POLL_SECONDS        pause between describe-services calls (default 10; may be 0.5)
#   ROTATE_EXECUTOR_SERVICE    executor service name (default azkaban-executor)
#   ROTATE_WEBSERVER_SERVICE   web-server service name (default azkaban-webserver)
#   AWS_CLI                    aws command to run (default: aws on PATH; needs CLI v2)
#   AWS_ENDPOINT_URL           passed as --endpoint-url to every call (e.g. a local emulator)
#   ROTATE_AWS_ARGS            extra arguments for every call, split on blanks
#                              (e.g. "--region eu-west-2 --no-verify-ssl")
set -euo pipefail
shopt -s inherit_errexit  # command substitutions stop on errors too

usage() {
  cat >&2 <<'EOF'
usage: rotate_containers_dev.sh AWS_PROFILE TRUNCATE_LAMBDA CLUSTER TASK_DEFINITION
  AWS_PROFILE      AWS CLI profile to use for every call
  TRUNCATE_LAMBDA  name of the truncate-table lambda (e.g. azkaban-truncate-table)
  CLUSTER          ECS cluster of the Azkaban services (e.g. main)
  TASK_DEFINITION  executor task definition as <family>:<revision> (e.g. azkaban-executor:42)
EOF
}

missing() {
  echo "$1" >&2
  usage
  exit 2
}

messages=("AWS profile name not provided (arg 1)"
  "Lambda function name not provided (arg 2)"
  "Cluster name not provided (arg 3)"
  "Task definition <family>:<revision> name not provided (arg 4)")
args=("$@")
for i in 0 1 2 3; do
  if [ -z "${args[i]:-}" ]; then
    missing "${messages[i]}"
  fi
done
[ $# -le 4 ] || missing "Too many arguments"

profile=$1
lambda_name=$2
cluster=$3
task_definition=$4

# <family>:<revision>, or a full task-definition ARN (which ends the same way).
if ! [[ $task_definition =~ ^([A-Za-z0-9:/_.-]*/)?[A-Za-z0-9_-]+:[0-9]+$ ]]; then
  missing "Task definition '$task_definition' is not <family>:<revision> (arg 4)"
fi

executor_service=${ROTATE_EXECUTOR_SERVICE:-azkaban-executor}
webserver_service=${ROTATE_WEBSERVER_SERVICE:-azkaban-webserver}
wait_default=${ROTATE_WAIT_SECONDS:-}
stop_wait=${ROTATE_STOP_WAIT_SECONDS:-${wait_default:-350}}
start_wait=${ROTATE_START_WAIT_SECONDS:-${wait_default:-100}}
poll=${ROTATE_POLL_SECONDS:-10}
for value in "$stop_wait" "$start_wait"; do
  if ! [[ $value =~ ^[0-9]+$ ]]; then
    echo "ERROR: wait times must be whole seconds (got '$value')" >&2
    exit 2
  fi
done
if ! [[ $poll =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  echo "ERROR: ROTATE_POLL_SECONDS must be a number of seconds (got '$poll')" >&2
  exit 2
fi

aws_cmd=("${AWS_CLI:-aws}" --profile "$profile" --no-cli-pager)
if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
  aws_cmd+=(--endpoint-url "$AWS_ENDPOINT_URL")
fi
if [ -n "${ROTATE_AWS_ARGS:-}" ]; then
  read -r -a extra_args <<<"$ROTATE_AWS_ARGS"
  aws_cmd+=("${extra_args[@]}")
fi

log() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"
}

# Runs one AWS CLI call; on failure names the call and stops the script.
aws_call() {
  log "+ aws $*" >&2
  if ! "${aws_cmd[@]}" "$@"; then
    echo "ERROR: aws $1 $2 failed; stopping (nothing after this call was done)" >&2
    exit 1
  fi
}

update_service() {  # service, extra update-service arguments...
  local service=$1
  shift
  aws_call ecs update-service --cluster "$cluster" --service "$service" "$@" \
    --query 'service.[serviceName,desiredCount,runningCount]' --output text
}

# Prints the running count of a service. A failed call stops the script; a missing service
# (describe-services answers with `failures` and no `services`, so the count is null) is an
# error too instead of being taken for "0 running".
running_count() {
  local service=$1 count
  count=$(aws_call ecs describe-services --cluster "$cluster" --services "$service" \
    --query 'services[0].runningCount' --output text)
  if ! [[ $count =~ ^[0-9]+$ ]]; then
    echo "ERROR: no running count for service '$service' in cluster '$cluster'" \
      "(describe-services returned '$count'; is the service missing?)" >&2
    return 1
  fi
  echo "$count"
}

cleanup_files=()
cleanup() {
  if [ ${#cleanup_files[@]} -gt 0 ]; then
    rm -f "${cleanup_files[@]}"
  fi
}
trap cleanup EXIT

log "1/7 scaling $executor_service to 0"
update_service "$executor_service" --desired-count 0
log "2/7 scaling $webserver_service to 0 (new deployment)"
update_service "$webserver_service" --force-new-deployment --desired-count 0

log "3/7 waiting up to ${stop_wait}s for both services to stop"
deadline=$((SECONDS + stop_wait))
executor_count=$(running_count "$executor_service")
webserver_count=$(running_count "$webserver_service")
while [ "$executor_count" != 0 ] || [ "$webserver_count" != 0 ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "ERROR: MAX RETRIES Exceeded, Azkaban executor or webserver taking too long to shut down." \
      "Still running after ${stop_wait}s: $executor_service=$executor_count," \
      "$webserver_service=$webserver_count. Exiting..." >&2
    exit 1
  fi
  log "   running: $executor_service=$executor_count $webserver_service=$webserver_count"
  sleep "$poll"
  executor_count=$(running_count "$executor_service")
  webserver_count=$(running_count "$webserver_service")
done

log "4/7 truncating the executors table with lambda $lambda_name"
result=$(mktemp)
cleanup_files+=("$result")
function_error=$(aws_call lambda invoke --function-name "$lambda_name" \
  --invocation-type RequestResponse --cli-binary-format raw-in-base64-out \
  --payload '{ "table_to_truncate": "executors" }' \
  --cli-connect-timeout 600 --cli-read-timeout 600 \
  --query 'FunctionError' --output text "$result")
echo "lambda result: $(cat "$result")"
# Lambda reports a failed function with HTTP 200: check the FunctionError header (as the CLI
# prints it) and, like the CI job, the result document.
if [ "$function_error" != None ] || grep -q '"errorMessage"' "$result"; then
  echo "ERROR: truncate lambda $lambda_name failed (FunctionError: $function_error); the" \
    "services stay at 0. Exiting..." >&2
  exit 1
fi

log "5/7 starting $executor_service on $task_definition"
update_service "$executor_service" --task-definition "$task_definition" --desired-count 1

log "6/7 waiting up to ${start_wait}s for a running $executor_service task"
deadline=$((SECONDS + start_wait))
while [ "$executor_count" = 0 ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "ERROR: MAX RETRIES Exceeded, Azkaban executor taking too long to start" \
      "(no running task after ${start_wait}s). Exiting..." >&2
    exit 1
  fi
  sleep "$poll"
  executor_count=$(running_count "$executor_service")
done
# A running task is not yet an activated executor (section 6); the web server may still start
# before the executor's activation and then needs a reloadExecutors.

log "7/7 starting $webserver_service"
update_service "$webserver_service" --desired-count 1
log "done: $executor_service running=$executor_count, $webserver_service starting"

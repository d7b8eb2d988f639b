#!/usr/bin/env bash
# cleanup.sh: the federate/cleanup step (`when: always`). Removes the files the exchange wrote
# and revokes the server-side tokens it recorded. Safe when nothing was recorded.
# The block below is a verbatim copy of run-cli.sh (see there for why).
# BEGIN run-cli.sh
set -euo pipefail
# CircleCI masks nothing created at runtime; never trace a step that handles credentials.
{ set +x; } 2>/dev/null

# The orb's own release version: the orb runs exactly the CLI released with it.
federate_cli_version="0.1.0"

federate_die() {
  printf 'federate orb: %s\n' "$1" >&2
  exit "${2:-2}"
}

federate_check_node() {
  if ! command -v node >/dev/null 2>&1; then
    federate_die "Node.js is not on PATH. The federate CLI needs Node.js 20 or newer: run this job on the orb's executor (executor: federate/default), a cimg/node image, or install Node.js in an earlier step."
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    federate_die "Node.js ${major} is too old. The federate CLI needs Node.js 20 or newer: use the orb's executor (executor: federate/default) or a newer cimg/node image."
  fi
}

# CircleCI turns a boolean parameter used as an environment value into 1 or 0; the CLI reads
# true/false (circleci/circleci-docs#5304).
federate_normalize_booleans() {
  local name
  for name in FEDERATE_DRY_RUN FEDERATE_EXPORT_ENV FEDERATE_OUTPUTS FEDERATE_CLEANUP FEDERATE_JSON \
    FEDERATE_CHECK_IDENTITY FEDERATE_CREATE_CREDENTIALS_FILE FEDERATE_ID_TOKEN_INCLUDE_EMAIL \
    FEDERATE_EXPORT_TOKEN FEDERATE_REVOKE FEDERATE_VERIFY FEDERATE_ALLOW_EXECUTABLES \
    FEDERATE_REFRESH_TOKEN_FILE FEDERATE_EXPORT_REFRESH_TOKEN; do
    case "${!name-}" in
      1) export "${name}=true" ;;
      0) export "${name}=false" ;;
    esac
  done
}

# Parameters may name other variables (`role_arn: ${DEPLOY_ROLE_ARN}`), as in CircleCI's own orbs.
# `circleci env subst` replaces only $NAME and ${NAME}; it never runs anything, so `$(…)` and
# backquotes stay literal. Values travel through a pipe, never through argv. Secrets are taken as
# they are: they come from a variable, not from config.yml, and a `$` in them is part of the secret.
federate_subst_inputs() {
  command -v circleci >/dev/null 2>&1 || return 0
  local name value
  while IFS= read -r name; do
    case "$name" in
      FEDERATE_CLI | FEDERATE_ID_TOKEN | FEDERATE_DEBUG | FEDERATE_WORKSPACE) continue ;;
      FEDERATE_CLIENT_SECRET | FEDERATE_API_KEY) continue ;;
    esac
    value="${!name}"
    case "$value" in
      *'$'*) ;;
      *) continue ;;
    esac
    value="$(printf '%s' "$value" | circleci env subst)"
    export "${name}=${value}"
  done < <(compgen -e | grep '^FEDERATE_' || true)
}

federate_cli() {
  federate_check_node
  federate_normalize_booleans
  federate_subst_inputs
  if [ -n "${FEDERATE_CLI:-}" ]; then
    node "$FEDERATE_CLI" "$@"
  else
    command -v npx >/dev/null 2>&1 || federate_die "npx is not on PATH; it comes with npm, which the federate CLI is installed from. Use an image with Node.js and npm (executor: federate/default)."
    npx --yes "@federate/cli@${federate_cli_version}" "$@"
  fi
}
# END run-cli.sh

federate_cli cleanup

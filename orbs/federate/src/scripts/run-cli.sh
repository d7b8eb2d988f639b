#!/usr/bin/env bash
# run-cli.sh: every federate orb step (exchange, doctor, cleanup) is this one script; the step's
# `environment:` names the subcommand in FEDERATE_ORB_COMMAND. Parameters reach the CLI only as
# FEDERATE_* environment variables set by that `environment:` map; nothing here interpolates a value
# into shell text or prints one. The exchange step appends `export NAME='…'` lines to $BASH_ENV
# (CircleCI sources it before every later step); its token is CIRCLE_OIDC_TOKEN_V2, or
# `circleci run oidc get` for a custom audience.
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
      FEDERATE_CLI | FEDERATE_ID_TOKEN | FEDERATE_DEBUG | FEDERATE_WORKSPACE | FEDERATE_ORB_COMMAND) continue ;;
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


# vault_url, vault_role, vault_path and vault_namespace are the first names of url, role, path and
# namespace (options other targets share now). Either spelling works; two different values fail.
federate_alias() {
  local old="$1" new="$2"
  if [ -n "${!old-}" ]; then
    if [ -n "${!new-}" ] && [ "${!new}" != "${!old}" ]; then
      federate_die "set ${3} or ${4}, not both"
    fi
    export "${new}=${!old}"
  fi
  unset "${old}"
}

# Secrets never sit in config.yml: an env_var_name parameter names the project or context variable
# holding one, and its value is copied into the CLI's variable with builtins only (nothing forks,
# nothing is traced or printed). The name is checked first: bash would evaluate an array subscript
# in `${!name}`.
federate_secret_from() {
  local carrier="$1" target="$2" name
  name="${!carrier-}"
  unset "${carrier}"
  [ -n "${name}" ] || return 0
  [[ "${name}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || federate_die "${3} must name an environment variable"
  if [ "${name}" != "${target}" ] && [ -n "${!name-}" ]; then
    export "${target}=${!name}"
  fi
}

federate_command="${FEDERATE_ORB_COMMAND:-}"
unset FEDERATE_ORB_COMMAND
case "${federate_command}" in
  exchange)
    federate_alias FEDERATE_ORB_VAULT_URL FEDERATE_URL url vault_url
    federate_alias FEDERATE_ORB_VAULT_ROLE FEDERATE_ROLE role vault_role
    federate_alias FEDERATE_ORB_VAULT_PATH FEDERATE_PATH path vault_path
    federate_alias FEDERATE_ORB_VAULT_NAMESPACE FEDERATE_NAMESPACE namespace vault_namespace
    federate_secret_from FEDERATE_ORB_CLIENT_SECRET_ENV FEDERATE_CLIENT_SECRET client_secret_env
    # A FEDERATE_API_KEY set directly (a project variable) wins over api_key_env's default name.
    if [ -n "${FEDERATE_API_KEY-}" ] && [ "${FEDERATE_API_KEY_ENV-}" = PINGONE_PRIVILEGE_API_KEY ]; then
      unset FEDERATE_API_KEY_ENV
    fi
    federate_cli exchange
    ;;
  doctor) federate_cli doctor ;;
  cleanup) federate_cli cleanup ;;
  *) federate_die "unknown orb command: ${federate_command:-(none)}" ;;
esac

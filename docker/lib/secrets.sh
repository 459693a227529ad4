# shellcheck shell=sh
# Secrets for every container of the stack, POSIX sh (dash, busybox, bash): sourced by the
# entrypoints under docker/, never executed on its own.
#
#   secrets_load WHO NAME...  for each NAME: take NAME, or the contents of the file named by
#                          NAME_FILE (Docker/Kubernetes secrets; one trailing newline dropped),
#                          export NAME (and unset NAME_FILE), and check it. Every problem is
#                          listed, then exit 2.
#
# Checks: set and not empty; not both NAME and NAME_FILE (the official postgres image has the
# same rule); not an example value from .env.example ("change-me..."), unless
# ALLOW_EXAMPLE_SECRETS=true says this is a throw-away local demo.
# Values never appear in messages.

secrets_problems=""

secrets__problem() {
  secrets_problems="${secrets_problems}  - $1
"
}

# secrets__read_file NAME FILE: sets NAME to FILE's contents (trailing newlines dropped by $(...)).
secrets__read_file() {
  if [ ! -r "$2" ]; then
    secrets__problem "$1_FILE points at $2, which does not exist or is not readable by uid $(id -u)"
    return 1
  fi
  secrets__value=$(cat "$2"; printf x)
  secrets__value=${secrets__value%x}
  # one trailing newline (echo, most editors) is not part of the secret
  secrets__value=${secrets__value%"
"}
  eval "$1=\$secrets__value"
  return 0
}

secrets_example_allowed() {
  case "${ALLOW_EXAMPLE_SECRETS:-false}" in
    1|true|TRUE|True|yes|on) return 0 ;;
    *) return 1 ;;
  esac
}

# secrets_load_one NAME [optional]: one secret; returns 1 (and records why) when it is unusable.
secrets_load_one() {
  secrets__name=$1
  eval "secrets__plain=\${$secrets__name:-}"
  eval "secrets__file=\${${secrets__name}_FILE:-}"
  if [ -n "$secrets__plain" ] && [ -n "$secrets__file" ]; then
    secrets__problem "both $secrets__name and ${secrets__name}_FILE are set: keep one"
    return 1
  fi
  if [ -n "$secrets__file" ]; then
    secrets__read_file "$secrets__name" "$secrets__file" || return 1
    eval "secrets__plain=\${$secrets__name}"
    # From here on NAME holds the value: a child process (sync-roles.sh after `migrate`) that
    # loads it again must not see both forms.
    unset "${secrets__name}_FILE"
  fi
  if [ -z "$secrets__plain" ]; then
    if [ "${2:-}" = optional ]; then return 0; fi
    secrets__problem "$secrets__name is not set (set it, or ${secrets__name}_FILE to a file holding it; see .env.example)"
    return 1
  fi
  case "$secrets__plain" in
    change-me*|*://*:change-me*@*)
      if ! secrets_example_allowed; then
        secrets__problem "$secrets__name still holds the example value from .env.example: replace it (e.g. \`openssl rand -hex 24\`), or set ALLOW_EXAMPLE_SECRETS=true for a throw-away local demo"
        return 1
      fi ;;
  esac
  export "${secrets__name?}"
  return 0
}

# secrets_url_safe NAME: the value goes into a connection URL by tools that cannot escape it.
secrets_url_safe() {
  eval "secrets__plain=\${$1:-}"
  case "$secrets__plain" in
    *[!A-Za-z0-9._~-]*)
      secrets__problem "$1 may only hold letters, digits and . _ ~ - (it is put into a connection URL); \`openssl rand -hex 24\` gives such a value"
      return 1 ;;
  esac
  return 0
}

# secrets_finish WHO: prints every recorded problem and exits 2 if there is any.
secrets_finish() {
  if [ -n "$secrets_problems" ]; then
    printf '%s: refusing to start:\n%s' "$1" "$secrets_problems" >&2
    exit 2
  fi
  if secrets_example_allowed; then
    printf '%s: ALLOW_EXAMPLE_SECRETS is on: example passwords are accepted (local demo only)\n' "$1" >&2
  fi
}

# secrets_load WHO NAME...: every NAME required.
secrets_load() {
  secrets__who=$1
  shift
  for secrets__n in "$@"; do
    secrets_load_one "$secrets__n" || true
  done
  secrets_finish "$secrets__who"
}

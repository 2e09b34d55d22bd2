# Shared by the CI scripts (sourced, not run). Settings come from the environment:
#   JCFORM          the jcform binary (default: jcform on PATH)
#   JCFORM_CONFIG   the config file or directory (default: .)
#   JCFORM_OUT      where plan.json, comment.md, summary.txt and lint.sarif go (default: jcform-out)
#   JCFORM_SANDBOX  plan against this sandbox state file instead of an org (tests, demos);
#                   otherwise the org comes from JC_API_KEY (and JC_ORG_ID, JC_API_URL) as usual.
set -eu
JCFORM="${JCFORM:-jcform}"
CONFIG="${JCFORM_CONFIG:-.}"
OUT="${JCFORM_OUT:-jcform-out}"
mkdir -p "$OUT"
if [ -n "${JCFORM_SANDBOX:-}" ]; then
  set -- --sandbox "$JCFORM_SANDBOX"
else
  set --
fi

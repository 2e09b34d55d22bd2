#!/bin/sh
# Nightly: does the org still match the files? Exit 0 no drift, 2 drift (the plan is in
# $JCFORM_OUT/drift.md for an issue or a notification), 3 lockout findings, 1 errors.
. "$(dirname "$0")/common.sh"
status=0
"$JCFORM" plan "$CONFIG" "$@" --format markdown --detailed-exitcode >"$OUT/drift.md" || status=$?
case "$status" in
  0) echo "No drift: the org matches the files." ;;
  2) echo "Drift: the org differs from the files; see $OUT/drift.md." >&2 ;;
esac
exit "$status"

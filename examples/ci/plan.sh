#!/bin/sh
# Pull request: validate, plan, save the plan, and write what the CI job posts and uploads:
#   $JCFORM_OUT/plan.json    the saved plan (keep it as an artifact: apply.sh runs exactly it)
#   $JCFORM_OUT/comment.md   the PR comment body; its first line is the marker
#                            <!-- jcform:ORG:CONFIG --> the posting step looks for to update it
#   $JCFORM_OUT/summary.txt  one line (`destructive: …`); its first word fits a PR label
#   $JCFORM_OUT/lint.sarif   findings for code scanning (written even when they block)
# Exits 0 when the plan can be applied (changes or not), 3 when findings block it, 1 on errors.
. "$(dirname "$0")/common.sh"
"$JCFORM" validate "$CONFIG"
status=0
"$JCFORM" plan "$CONFIG" "$@" --format markdown --out "$OUT/plan.json" \
  --detailed-exitcode >"$OUT/comment.md" || status=$?
case "$status" in
  0 | 2 | 3) ;;
  *) exit "$status" ;;
esac
"$JCFORM" show "$OUT/plan.json" --format summary >"$OUT/summary.txt"
"$JCFORM" lint "$CONFIG" "$@" --format sarif --exit-zero >"$OUT/lint.sarif"
cat "$OUT/summary.txt"
if [ "$status" -eq 3 ]; then
  echo "error: lint findings block this plan; see the comment and the code-scanning results" >&2
  exit 3
fi

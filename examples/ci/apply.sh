#!/bin/sh
# Merge to the main branch: apply exactly the plan reviewed on the pull request
# ($JCFORM_OUT/plan.json, downloaded from the PR's artifact). jcform refuses it (exit 1,
# nothing changed) if the files or anything the plan touches changed since; then plan again.
. "$(dirname "$0")/common.sh"
"$JCFORM" apply "$CONFIG" "$@" --plan "$OUT/plan.json" --journal "$OUT/journal.jsonl"

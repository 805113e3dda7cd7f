#!/usr/bin/env bash
# Time-to-live of pipeline previews: remove every preview folder of this app whose last commit is
# older than PREVIEW_TTL_HOURS (default 72), open pull request or not. Run on a schedule (custom
# pipeline `preview-expire`); a new push to the pull request deploys the preview again.
source "$(dirname "$0")/lib.sh"
need GITOPS_REPO
app_identity
ttl_hours=${PREVIEW_TTL_HOURS:-72}
[[ "$ttl_hours" =~ ^[0-9]+$ ]] && [ "$ttl_hours" -gt 0 ] || die "PREVIEW_TTL_HOURS must be a positive number of hours"
root=$(app_dir)
workdir=$(mktemp -d); trap 'rm -rf "$workdir"' EXIT
gitops_clone "$workdir"
# Shallow clones do not know old commits: fetch the history of the app's folder.
git -C "$workdir/gitops" fetch --quiet --unshallow 2>/dev/null || true
now=${IDP_NOW:-$(date +%s)}
expired=()
for path in "$workdir/gitops/$root"/pr-*; do
  [ -d "$path" ] || continue
  rel=${path#"$workdir/gitops/"}
  last=$(git -C "$workdir/gitops" log -1 --format=%ct -- "$rel")
  [ -n "$last" ] || continue
  if [ $(( now - last )) -ge $(( ttl_hours * 3600 )) ]; then
    rm -rf -- "$path"; expired+=("${rel##*/}")
  fi
done
[ ${#expired[@]} -gt 0 ] || { echo "no preview of ${APP_PROJECT}/${APP_NAME} older than ${ttl_hours}h"; exit 0; }
commit_and_push "$workdir/gitops" "$root" "preview(${APP_PROJECT}/${APP_NAME}): expire ${expired[*]} after ${ttl_hours}h"

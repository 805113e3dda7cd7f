#!/usr/bin/env bash
# Builds the real engines the test suite runs against (Pulumi CLI, its Python language host,
# provider plugins, a local Kubernetes control plane, helm, the kyverno CLI, trivy, vcsim) from the
# Go module proxy into a cache directory, and reports what it could not build and why. A tool
# already installed at the pinned version (on PATH, or a plugin in ~/.pulumi/plugins) is linked
# instead of built; etcd comes from Debian's etcd-server package.
#
#   scripts/toolchain.sh                 build what is missing, in order of value, within a budget
#   scripts/toolchain.sh --check         build nothing; print each tool's name and version
#   scripts/toolchain.sh --only a,b      build only these tools (names as in TOOLS below)
#   scripts/toolchain.sh --budget 1800   skip tools whose expected build would not fit in N seconds
#   scripts/toolchain.sh --strict        exit 1 when a tool could not be built
#
# Release binaries cannot be downloaded on the project's machines; the Go module proxy can be
# reached, and every tool built here is a Go program. Each tool is built inside a writable copy of its
# module from the module cache, so `replace` directives of the tool's own go.mod apply (plain
# `go install mod@version` refuses modules that have them). Without --strict the script always
# exits 0: a tool that cannot be built is reported in one line and the tests that need it skip.
#
# Environment: IDP_TOOLS_DIR (default <repo>/.tools; binaries in $TOOLS_DIR/bin), TOOLCHAIN_BUDGET
# (seconds, default 3600), TOOLCHAIN_ONLY (same as --only).
set -uo pipefail

# ---- pinned versions: the only place a version is written ------------------------------------
PULUMI_VERSION=3.259.0            # pip: pulumi==3.259.0
HELM_VERSION=v4.3.2              # helm.sh/helm/v4; its default Kubernetes version comes from client-go
KUBERNETES_VERSION=v1.37.2        # kube-apiserver, kube-controller-manager (k8s.io/kubernetes)
ETCD_PACKAGE=etcd-server          # Debian's etcd (3.4) serves the local API server
KYVERNO_VERSION=v1.19.0           # matches the kyverno chart 3.9.0 / app v1.19.0 in CATALOG.md
TRIVY_VERSION=v0.74.0
GOVMOMI_VERSION=v0.46.3           # vcsim; the newest that installs with plain `go install`
# Provider plugins: name, Go module of the provider, SDK module, release, and the pseudo-version
# of the release commit ("-": derived). Provider modules are not tagged below the repository root,
# so the build asks the proxy for the release commit as a pseudo-version. Where it is not given,
# the commit of the SDK tag of the same release is used (for kubernetes that tag is an empty child
# commit whose pseudo-version the proxy refuses, so the release commit is written down).
PROVIDERS=(
  # name        provider module                                    sdk module                                  version  release commit
  "kubernetes   github.com/pulumi/pulumi-kubernetes/provider/v4      github.com/pulumi/pulumi-kubernetes/sdk/v4   4.25.0   v4.0.0-20260115033456-f47bc2d6f199"
  "talos        github.com/pulumiverse/pulumi-talos/provider         github.com/pulumiverse/pulumi-talos/sdk      0.8.1    -"
  "tls          github.com/pulumi/pulumi-tls/provider/v5             github.com/pulumi/pulumi-tls/sdk/v5          5.6.2    -"
  "random       github.com/pulumi/pulumi-random/provider/v4          github.com/pulumi/pulumi-random/sdk/v4       4.21.4   -"
  "command      github.com/pulumi/pulumi-command/provider            github.com/pulumi/pulumi-command/sdk         1.2.1    -"
  "vsphere      github.com/pulumi/pulumi-vsphere/provider/v4         github.com/pulumi/pulumi-vsphere/sdk/v4      4.17.0   -"
  "vault        github.com/pulumi/pulumi-vault/provider/v7           github.com/pulumi/pulumi-vault/sdk/v7        7.11.0   -"
  "harbor       github.com/pulumiverse/pulumi-harbor/provider/v3     github.com/pulumiverse/pulumi-harbor/sdk/v3  3.10.21  -"
)
# Build order (by value) and the cold build time of each (empty Go caches, one build after another
# on an otherwise idle 2-core machine), used by --budget; docs/testing.md has the measurements they
# come from. A tool whose build has already gone through this machine's Go build cache costs its
# warm time instead. The providers that cannot be built here come last: the proxy refuses them in
# a second, and their figure is a guess, used only if the proxy starts serving them.
TOOLS=(pulumi language-python kubernetes kube-apiserver kube-controller-manager etcd helm vcsim govc
       kyverno trivy talos tls random command vsphere vault harbor)
declare -A COLD_SECONDS=(
  [pulumi]=300 [language-python]=30 [kubernetes]=1500 [kube-apiserver]=600 [kube-controller-manager]=240
  [etcd]=60 [helm]=250 [kyverno]=700 [trivy]=1000 [vcsim]=80 [govc]=120
  [talos]=900 [tls]=900 [random]=600 [command]=600 [vsphere]=900 [vault]=900 [harbor]=600
)
# Rebuild times with both Go caches filled by an earlier build of the same version (docs/testing.md).
declare -A WARM_SECONDS=(
  [pulumi]=20 [language-python]=5 [kubernetes]=60 [kube-apiserver]=30 [kube-controller-manager]=30
  [etcd]=5 [helm]=15 [kyverno]=45 [trivy]=40 [vcsim]=5 [govc]=5
)
# -------------------------------------------------------------------------------------------------

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${IDP_TOOLS_DIR:-$REPO/.tools}
BIN=$TOOLS_DIR/bin
SRC=$TOOLS_DIR/src
LOGS=$TOOLS_DIR/logs
STAMPS=$TOOLS_DIR/stamps
BUDGET=${TOOLCHAIN_BUDGET:-3600}
ONLY=${TOOLCHAIN_ONLY:-}
MODE=build
STRICT=0

while [ $# -gt 0 ]; do
  case "$1" in
    --check) MODE=check ;;
    --strict) STRICT=1 ;;
    --only) ONLY=$2; shift ;;
    --only=*) ONLY=${1#--only=} ;;
    --budget) BUDGET=$2; shift ;;
    --budget=*) BUDGET=${1#--budget=} ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "toolchain: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# The checksum database is not reachable from the project's machines; module zips still come
# from the proxy and are hashed into go.sum by the build.
export GOTOOLCHAIN=local GOSUMDB=off GOFLAGS="-mod=mod -buildvcs=false"
export GOPROXY=${GOPROXY:-https://proxy.golang.org}
GOPROXY_URL=${GOPROXY%%,*}

mkdir -p "$BIN" "$SRC" "$LOGS" "$STAMPS"
# Tools built through this machine's Go build cache leave their version and build time here, so a
# fresh checkout (new tools directory, same Go caches) budgets warm times; `go clean -cache` drops it.
WARM=$(go env GOCACHE 2>/dev/null)/idp-toolchain
FAILED=0
START=$(date +%s)

say() { printf 'toolchain: %s\n' "$*"; }
# Every tool that is not built leaves its one-line reason in logs/<tool>.reason for the tests'
# skip messages; a successful build removes it.
skip() { say "$1: not built: $2"; echo "$2" >"$LOGS/$1.reason"; FAILED=1; }
stamp_ok() { [ -x "$BIN/$2" ] && [ "$(cat "$STAMPS/$1" 2>/dev/null)" = "$3" ]; }
record() { # tool version seconds result
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$1" "$2" "$3" "$4" >>"$LOGS/build-times.tsv"
}
first_error() { # the proxy's status ("403 Forbidden") when there is one, else the first error line
  local status
  status=$(grep -o -m1 -E '(403|404|410) [A-Za-z ]+' "$1" | head -1)
  if [ -n "$status" ]; then echo "$status"; return; fi
  grep -v '^go: downloading' "$1" | grep -m1 -E 'error|not available|cannot|no required|missing|undefined|exclude all' | cut -c1-200
}

# Downloads module@version and prints its directory in the module cache (empty on failure; the
# proxy's answer is left in $2).
download() {
  go mod download -json "$1" >"$2" 2>&1
  python3 -c 'import json,sys
try: d=json.load(open(sys.argv[1]))
except Exception: sys.exit(0)
print(d.get("Dir","") if not d.get("Error") else "")' "$2"
}

# Makes a writable copy of a module for building, dropping replace directives that point inside
# the upstream repository (../sdk, ./shim, ../upstream): those directories are not in the zip.
copy_module() { # dir dest
  rm -rf "$2" && cp -r "$1" "$2" && chmod -R u+w "$2"
  (cd "$2" && go mod edit -json | python3 -c 'import json,sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith((".", "/")): print(r["Old"]["Path"])' |
    while read -r old; do go mod edit -dropreplace="$old"; done)
}

# Builds package $3 of module copy $2 into $BIN/$4 with ldflags $5, measuring wall time.
go_build() { # tool dir pkg out ldflags version
  local t0=$SECONDS log="$LOGS/$1.log"
  say "$1: building $6 (log: $log)"
  if (cd "$2" && env ${BUILD_ENV:-} nice -n 10 go build -trimpath -ldflags "-s -w $5" -o "$BIN/$4" "$3") >>"$log" 2>&1; then
    echo "$6" >"$STAMPS/$1"
    mkdir -p "$WARM" && echo "$6 $((SECONDS - t0))" >"$WARM/$1"
    rm -f "$LOGS/$1.reason"
    record "$1" "$6" $((SECONDS - t0)) built
    say "$1: built $6 in $((SECONDS - t0))s"
    return 0
  fi
  record "$1" "$6" $((SECONDS - t0)) failed
  skip "$1" "go build failed after $((SECONDS - t0))s: $(first_error "$log")"
  return 1
}

# Builds the main package $3 of module $2@$4 (a program whose go.mod may carry replaces).
build_module_program() { # tool module pkg version out ldflags
  local log="$LOGS/$1.log" dir
  : >"$log"
  dir=$(download "$2@$4" "$LOGS/$1.download.json")
  if [ -z "$dir" ]; then
    skip "$1" "$2@$4 is not served by the module proxy ($(first_error "$LOGS/$1.download.json"))"
    return 1
  fi
  copy_module "$dir" "$SRC/$1"
  go_build "$1" "$SRC/$1" "$3" "$5" "$6" "$4"
}

build_pulumi() {
  stamp_ok pulumi pulumi "v$PULUMI_VERSION" && return 0
  # An empty version makes the Python SDK's CLI version check fail, so it is set explicitly.
  build_module_program pulumi github.com/pulumi/pulumi/pkg/v3 ./cmd/pulumi "v$PULUMI_VERSION" pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
}

# The upstream Python language host is its own untagged module that the proxy does not serve;
# scripts/toolchain/langhost is a small host of ours built against sdk/v3 of the same release.
# The Python side (pulumi-language-python-exec) comes from the sdk/v3 module zip.
langhost_version() { # the release it pairs with, plus a hash of our source so edits rebuild it
  echo "v$PULUMI_VERSION+$(cat "$REPO"/scripts/toolchain/langhost/{go.mod,go.sum,main.go} | sha256sum | cut -c1-12)"
}

build_language_python() {
  stamp_ok language-python pulumi-language-python "$(langhost_version)" &&
    [ -x "$BIN/pulumi-language-python-exec" ] && return 0
  local log="$LOGS/language-python.log" sdk
  : >"$log"
  sdk=$(download "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" "$LOGS/language-python.download.json")
  if [ -z "$sdk" ]; then
    skip language-python "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION is not served by the module proxy"
    return 1
  fi
  install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
  rm -rf "$SRC/language-python" && cp -r "$REPO/scripts/toolchain/langhost" "$SRC/language-python"
  (cd "$SRC/language-python" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")
  go_build language-python "$SRC/language-python" . pulumi-language-python \
    "-X main.version=$PULUMI_VERSION" "$(langhost_version)"
}

# Provider plugins. The release commit is the row's pseudo-version, or else the proxy's record of
# the SDK tag of the release. Provider modules embed a generated schema-embed.json (and, for
# kubernetes, terraform-mapping-embed.json), git-ignored upstream and made by their `go generate`:
# created here from the committed schema.json (with the version set) and terraform-mapping.json.
# The provider reads its version from <module>/pkg/version.Version.
build_provider() { # name module sdkmodule version pseudo
  local name=$1 mod=$2 sdkmod=$3 ver=$4 pseudo=${5:--} log="$LOGS/$1.log" info major dir cmd
  stamp_ok "$name" "pulumi-resource-$name" "v$ver" && return 0
  : >"$log"
  if [ "$pseudo" = - ]; then
    info=$(curl -fsS -m 60 "$GOPROXY_URL/$sdkmod/@v/v$ver.info" 2>&1) || {
      skip "$name" "the module proxy does not serve $sdkmod@v$ver ($(printf '%s' "$info" | grep -o -E '[0-9]{3}' | tail -1)), so the release commit of the pip package's version is unknown"
      return 1
    }
    major=$(printf '%s' "$mod" | sed -n 's#.*/v\([0-9][0-9]*\)$#\1#p'); major=${major:-0}
    pseudo=$(printf '%s' "$info" | python3 -c 'import json,sys,datetime
d=json.load(sys.stdin); o=d.get("Origin") or {}
t=datetime.datetime.strptime(d["Time"],"%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%d%H%M%S")
h=o.get("Hash","")
print(f"v{sys.argv[1]}.0.0-{t}-{h[:12]}" if h else "")' "$major")
    if [ -z "$pseudo" ]; then
      skip "$name" "the proxy's record of $sdkmod@v$ver names no commit, so no pseudo-version can be formed"
      return 1
    fi
  fi
  dir=$(download "$mod@$pseudo" "$LOGS/$name.download.json")
  if [ -z "$dir" ]; then
    skip "$name" "$mod@$pseudo (release v$ver) is not served by the module proxy ($(first_error "$LOGS/$name.download.json"))"
    return 1
  fi
  copy_module "$dir" "$SRC/$name"
  cmd="$SRC/$name/cmd/pulumi-resource-$name"
  python3 -c 'import json,os,sys
d,ver=sys.argv[1],sys.argv[2]
if os.path.exists(d+"/schema.json"):
    s=json.load(open(d+"/schema.json")); s["version"]=ver
    json.dump(s,open(d+"/schema-embed.json","w"),separators=(",",":"))
if os.path.exists(d+"/terraform-mapping.json"):
    json.dump(json.load(open(d+"/terraform-mapping.json")),open(d+"/terraform-mapping-embed.json","w"),separators=(",",":"))' "$cmd" "$ver"
  go_build "$name" "$SRC/$name" "./cmd/pulumi-resource-$name" "pulumi-resource-$name" \
    "-X $mod/pkg/version.Version=$ver" "v$ver"
}

# kube-apiserver and kube-controller-manager, the local control plane of the engine tests (the
# envtest way). k8s.io/kubernetes points its k8s.io/* dependencies at ./staging, which is not in
# the module zip: those replaces are dropped and the published modules of the same release
# (v0.<minor>.<patch>) are required instead.
build_kube() { # tool
  local tool=$1 log="$LOGS/$1.log" dir src="$SRC/kubernetes-$KUBERNETES_VERSION" staged minor
  stamp_ok "$tool" "$tool" "$KUBERNETES_VERSION" && return 0
  : >"$log"
  dir=$(download "k8s.io/kubernetes@$KUBERNETES_VERSION" "$LOGS/$tool.download.json")
  if [ -z "$dir" ]; then
    skip "$tool" "k8s.io/kubernetes@$KUBERNETES_VERSION is not served by the module proxy ($(first_error "$LOGS/$tool.download.json"))"
    return 1
  fi
  staged="v0.${KUBERNETES_VERSION#v1.}"
  if [ ! -f "$src/.staging-dropped" ]; then
    rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
    (cd "$src" && go mod edit -json | python3 -c 'import json,sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/"): print(r["Old"]["Path"])' |
      while read -r old; do go mod edit -dropreplace="$old" -require="$old@$staged"; done) >>"$log" 2>&1
    touch "$src/.staging-dropped"
  fi
  rm -f "$src/go.work" "$src/go.work.sum"   # its workspace is the ./staging tree
  minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local v="k8s.io/component-base/version" c="k8s.io/client-go/pkg/version"
  go_build "$tool" "$src" "./cmd/$tool" "$tool" \
    "-X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $c.gitVersion=$KUBERNETES_VERSION -X $c.gitMajor=1 -X $c.gitMinor=$minor" \
    "$KUBERNETES_VERSION"
}

# etcd is not built: Debian's package serves the API server. Installed when absent and when this
# runs as root with apt-get (the project's machines and CI); elsewhere its reason says how.
build_etcd() {
  local log="$LOGS/etcd.log" t0=$SECONDS path
  : >"$log"
  if ! command -v etcd >/dev/null; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
      skip etcd "etcd is not on PATH and apt-get cannot install it here (install the $ETCD_PACKAGE package)"
      return 1
    fi
    say "etcd: installing Debian's $ETCD_PACKAGE (log: $log)"
    { apt-cache show "$ETCD_PACKAGE" >/dev/null 2>&1 || apt-get update -q; } >>"$log" 2>&1
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$ETCD_PACKAGE" >>"$log" 2>&1; then
      skip etcd "apt-get install $ETCD_PACKAGE failed: $(grep -m1 -E '^E:' "$log")"
      return 1
    fi
  fi
  path=$(command -v etcd) || { skip etcd "$ETCD_PACKAGE installed no etcd on PATH"; return 1; }
  ln -sf "$path" "$BIN/etcd"
  echo "$ETCD_PACKAGE" >"$STAMPS/etcd"
  rm -f "$LOGS/etcd.reason"
  record etcd "$(etcd --version 2>/dev/null | sed -n 's/^etcd Version: *//p')" $((SECONDS - t0)) installed
  say "etcd: $path ($(etcd --version 2>/dev/null | head -1))"
}

# Helm's release ldflags: the version, and empty build metadata (a release, not "unreleased"). The
# default Kubernetes version (`.Capabilities.KubeVersion` of `helm template`) is derived from the
# client-go module in the binary's build information, which `go build` records.
build_helm() {
  stamp_ok helm helm "$HELM_VERSION" && return 0
  build_module_program helm helm.sh/helm/v4 ./cmd/helm "$HELM_VERSION" helm \
    "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.metadata="
}

build_kyverno() {
  stamp_ok kyverno kyverno "$KYVERNO_VERSION" && return 0
  build_module_program kyverno github.com/kyverno/kyverno ./cmd/cli/kubectl-kyverno "$KYVERNO_VERSION" kyverno \
    "-X github.com/kyverno/kyverno/pkg/version.BuildVersion=$KYVERNO_VERSION"
}

build_trivy() {
  stamp_ok trivy trivy "$TRIVY_VERSION" && return 0
  # Trivy uses encoding/json/v2, an experiment in Go 1.26 (its goreleaser.yml sets the same).
  BUILD_ENV=GOEXPERIMENT=jsonv2 build_module_program trivy github.com/aquasecurity/trivy ./cmd/trivy "$TRIVY_VERSION" trivy \
    "-X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}"
}

build_vcsim() {
  stamp_ok vcsim vcsim "$GOVMOMI_VERSION" && return 0
  build_module_program vcsim github.com/vmware/govmomi ./vcsim "$GOVMOMI_VERSION" vcsim \
    "-X main.buildVersion=$GOVMOMI_VERSION"
}

# govc (same module as vcsim) lets the tests check that Pulumi.ci.yaml names objects vcsim has.
build_govc() {
  stamp_ok govc govc "$GOVMOMI_VERSION" && return 0
  build_module_program govc github.com/vmware/govmomi ./govc "$GOVMOMI_VERSION" govc \
    "-X github.com/vmware/govmomi/govc/flags.BuildVersion=$GOVMOMI_VERSION"
}

provider_row() { local r n; for r in "${PROVIDERS[@]}"; do read -r n _ <<<"$r"; [ "$n" = "$1" ] && { echo "$r"; return; }; done; }

# The version each tool is pinned to, as its stamp file records it after a build.
pinned_version() {
  case "$1" in
    pulumi) echo "v$PULUMI_VERSION" ;;
    language-python) langhost_version ;;
    helm) echo "$HELM_VERSION" ;;
    kyverno) echo "$KYVERNO_VERSION" ;;
    trivy) echo "$TRIVY_VERSION" ;;
    vcsim|govc) echo "$GOVMOMI_VERSION" ;;
    kube-apiserver|kube-controller-manager) echo "$KUBERNETES_VERSION" ;;
    etcd) echo "$ETCD_PACKAGE" ;;
    *) local row v; row=$(provider_row "$1"); read -r _ _ _ v _ <<<"$row"; echo "v$v" ;;
  esac
}

build_tool() {
  case "$1" in
    pulumi) build_pulumi ;;
    language-python) build_language_python ;;
    helm) build_helm ;;
    kyverno) build_kyverno ;;
    trivy) build_trivy ;;
    vcsim) build_vcsim ;;
    govc) build_govc ;;
    kube-apiserver|kube-controller-manager) build_kube "$1" ;;
    etcd) build_etcd ;;
    *) local row; row=$(provider_row "$1")
       if [ -z "$row" ]; then say "$1: unknown tool"; return 1; fi
       # shellcheck disable=SC2086
       build_provider $row ;;
  esac
}

binary_of() {
  case "$1" in
    pulumi|helm|kyverno|trivy|vcsim|govc|kube-apiserver|kube-controller-manager|etcd) echo "$1" ;;
    language-python) echo pulumi-language-python ;;
    *) echo "pulumi-resource-$1" ;;
  esac
}

# The version a built binary reports, asked of the binary itself where it can say.
version_of() {
  local b="$BIN/$(binary_of "$1")"
  case "$1" in
    pulumi) "$b" version 2>/dev/null ;;
    helm) "$b" version --short 2>/dev/null ;;
    kyverno) "$b" version 2>/dev/null | sed -n 's/^Version: *//p' ;;
    trivy) "$b" --version 2>/dev/null | sed -n 's/^Version: *//p' ;;
    vcsim) "$b" version 2>/dev/null | sed -n 's/^Build Version: *//p' ;;
    govc) "$b" version 2>/dev/null | awk '{print $2}' ;;
    language-python) "$b" --version 2>/dev/null ;;
    kube-apiserver|kube-controller-manager) "$b" --version 2>/dev/null | awk '{print $2}' ;;
    etcd) "$b" --version 2>/dev/null | sed -n 's/^etcd Version: *//p' ;;
    *) cat "$STAMPS/$1" 2>/dev/null ;;
  esac
}

selected() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

if [ "$MODE" = check ]; then
  for t in "${TOOLS[@]}"; do
    selected "$t" || continue
    if [ -x "$BIN/$(binary_of "$t")" ]; then
      printf '%-16s %s\n' "$t" "$(version_of "$t" | head -1)"
    else
      printf '%-16s missing%s\n' "$t" "$( [ -s "$LOGS/$t.reason" ] && printf ': %s' "$(cat "$LOGS/$t.reason")")"; FAILED=1
    fi
  done
  [ "$STRICT" = 1 ] && exit $FAILED
  exit 0
fi

# A tool already installed at the pinned version is linked into $BIN instead of being built: a
# binary on PATH (outside $BIN), or a provider plugin the official CLI installed in ~/.pulumi/plugins.
installed_at_pin() { # tool -> path of an installed binary at the pinned version
  local t=$1 pin b path v dir
  pin=$(pinned_version "$t"); b=$(binary_of "$t")
  case "$t" in
    language-python)
      path=$(installed_at_pin pulumi) || return 1
      dir=$(dirname "$path")
      [ -x "$dir/pulumi-language-python" ] && [ -x "$dir/pulumi-language-python-exec" ] || return 1
      echo "$dir/pulumi-language-python"; return 0 ;;
    pulumi|helm|kyverno|trivy|vcsim|govc|kube-apiserver|kube-controller-manager) ;;
    etcd) return 1 ;;
    *) path="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-$t-$pin/$b"
       [ -x "$path" ] && { echo "$path"; return 0; }; return 1 ;;
  esac
  path=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd:) command -v "$b") || return 1
  v=$(BIN=$(dirname "$path") version_of "$t" | head -1)
  case "$v" in "$pin"|"v$pin"|"${pin#v}"|"$pin+"*|"$pin "*) echo "$path" ;; *) return 1 ;; esac
}

use_installed() { # tool path
  local t=$1
  ln -sf "$2" "$BIN/$(binary_of "$t")"
  if [ "$t" = language-python ]; then ln -sf "$(dirname "$2")/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"; fi
  pinned_version "$t" >"$STAMPS/$t"
  rm -f "$LOGS/$t.reason"
  say "$t: using $2 ($(pinned_version "$t"))"
}

# Seconds a build is expected to take: the warm figure when this Go cache has built the same
# version before (a fresh checkout on the same machine, as CI is), else the cold figure.
expected_seconds() {
  local v
  if read -r v _ 2>/dev/null <"$WARM/$1" && [ "$v" = "$(pinned_version "$1")" ]; then
    echo "${WARM_SECONDS[$1]:-60}"
  else
    echo "${COLD_SECONDS[$1]:-600}"
  fi
}

command -v go >/dev/null || { say "go is not installed; no tool can be built"; [ "$STRICT" = 1 ] && exit 1; exit 0; }
say "building into $BIN with $(go version | cut -d' ' -f3), budget ${BUDGET}s"
for t in "${TOOLS[@]}"; do
  selected "$t" || continue
  if stamp_ok "$t" "$(binary_of "$t")" "$(pinned_version "$t")"; then
    say "$t: $(pinned_version "$t") already built"
    continue
  fi
  if [ "$t" != etcd ] && path=$(installed_at_pin "$t"); then
    use_installed "$t" "$path"
    continue
  fi
  used=$(( $(date +%s) - START )); need=$(expected_seconds "$t")
  if [ $((used + need)) -gt "$BUDGET" ]; then
    skip "$t" "its build takes ~${need}s here and the toolchain budget has $((BUDGET - used))s left (raise --budget or TOOLCHAIN_BUDGET)"
    continue
  fi
  build_tool "$t" || true
done
say "done in $(( $(date +%s) - START ))s"
[ "$STRICT" = 1 ] && exit $FAILED
exit 0

#!/usr/bin/env bash
# Checks that scripts/bootstrap.sh installs every Debian package the build and the tests use, so
# that a missing install step fails CI instead of hiding on a machine where someone installed the
# package by hand (issue 9 §12). CTest runs it as bootstrap_lists_dependencies.
#
# What is checked, and how each is traced to the Debian package that owns it (`dpkg -S`):
#   - every pkg_check_modules(PREFIX … module…) in the CMake files → the module's .pc file;
#   - every find_package(Name) → NameConfig.cmake / name-config.cmake, or for CMake's own
#     find modules a file named in the table below (Threads: the C library, not checked);
#   - every find_library(VAR name | NAMES name…) → libname.so / libname.a;
#   - every find_path(VAR header | NAMES header…) → the header under /usr/include;
#   - the fuzz tree's compiler runtimes (libclang_rt.fuzzer, asan, ubsan_standalone);
#   - the commands the build, the tests and the scripts run (TOOLS below).
# The CMake dependencies and the runtimes must be owned by a package bootstrap names itself (a
# build dependency must not ride on another package's dependencies, which may change). A command
# may also come from an Essential package or from a package that a named one depends on (psql is
# owned by postgresql-client-common, which `postgresql` brings).
#
# Usage: scripts/check-deps.sh [--without PACKAGE]…   (--without: check as if bootstrap did not
# name PACKAGE; the self-test uses it). Exit 0 when everything is covered, 1 otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

without=" "
while [ $# -gt 0 ]; do
  case "$1" in
    --without) without+="$2 "; shift 2 ;;
    *) echo "usage: $0 [--without PACKAGE]…" >&2; exit 2 ;;
  esac
done

listed=" "
for p in $(bash "$ROOT/scripts/bootstrap.sh" --list); do
  [[ "$without" == *" $p "* ]] || listed+="$p "
done

MA="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
LIBDIRS=("/usr/lib/$MA" /usr/lib "/lib/$MA" /lib)
INCDIRS=(/usr/include "/usr/include/$MA")

# Commands: how the build, tests and scripts find them ("pg:NAME": the newest PostgreSQL server
# binary directory, as scripts/pg-start.sh and persistence/embedded_postgres.cpp look it up).
TOOLS=(cmake ninja g++ pkg-config  # scripts/build.sh
       clang++                     # scripts/fuzz.sh
       bash curl jq psql openssl   # scripts/run.sh, scripts/test.sh
       wrk                         # bench/run.sh
       chromium                    # tests/console (the console's browser tests)
       runuser pg:initdb pg:pg_ctl pg:postgres)  # scripts/pg-start.sh, the embedded PostgreSQL

# CMake find modules (no config file to trace): a file the module finds.
module_file() {
  case "$1" in
    OpenSSL) echo /usr/include/openssl/ssl.h ;;
    ZLIB) echo /usr/include/zlib.h ;;
    CURL) echo "/usr/include/$MA/curl/curl.h" ;;
    PostgreSQL) echo /usr/include/postgresql/libpq-fe.h ;;
    *) return 1 ;;
  esac
}

# Package owners of many paths with one `dpkg -S` per round (each call reads dpkg's whole file
# list): the paths as given, then resolved, then without the /usr prefix (merged /usr: dpkg may
# have recorded /lib/… or /bin/…). Fills OWNER[path].
declare -A OWNER=()
resolve_owners() {
  local round p q line pkg
  declare -A alias=()
  for round in given resolved unmerged; do
    local ask=()
    for p in "$@"; do
      [ -n "${OWNER[$p]:-}" ] && continue
      case "$round" in
        given) q="$p" ;;
        resolved) q="$(readlink -f "$p" 2>/dev/null || true)" ;;
        unmerged) q="${p#/usr}" ;;
      esac
      [ -n "$q" ] && [ -z "${alias[$q]:-}" ] && { alias[$q]="$p"; ask+=("$q"); }
    done
    [ ${#ask[@]} -gt 0 ] || continue
    while IFS= read -r line; do
      case "$line" in diversion* | "") continue ;; esac
      pkg="${line%%: /*}"; pkg="${pkg%%,*}"; pkg="${pkg%%:*}"
      q="/${line#*: /}"
      [ -n "${alias[$q]:-}" ] && [ -z "${OWNER[${alias[$q]}]:-}" ] && OWNER[${alias[$q]}]="$pkg"
    done < <(dpkg -S "${ask[@]}" 2>/dev/null || true)
    unset alias; declare -A alias=()
  done
}

# Everything installing the named packages brings: Essential packages plus the Depends and
# Pre-Depends closure of the named ones (first installed alternative, virtual names resolved).
closure="$(dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Essential}\t${Provides}\t${Pre-Depends}, ${Depends}\n' |
  awk -F'\t' -v list="$listed" '
    function push(p) { if (!(p in seen)) { seen[p] = 1; queue[tail++] = p } }
    $1 ~ /^ii/ {
      installed[$2] = 1; deps[$2] = $5
      if ($3 == "yes") essential[$2] = 1
      n = split($4, pv, /, */)
      for (i = 1; i <= n; i++) { v = pv[i]; sub(/[ :].*/, "", v); if (v != "" && !(v in provider)) provider[v] = $2 }
    }
    END {
      n = split(list, l, " "); for (i = 1; i <= n; i++) if (l[i] in installed) push(l[i])
      for (p in essential) push(p)
      while (head < tail) {
        p = queue[head++]
        m = split(deps[p], groups, /, */)
        for (j = 1; j <= m; j++) {
          k = split(groups[j], alts, /\|/)
          for (a = 1; a <= k; a++) {
            x = alts[a]; sub(/^ +/, "", x); sub(/[ (:].*/, "", x)
            if (x in installed) { push(x); break }
            if (x in provider) { push(provider[x]); break }
          }
        }
      }
      for (p in seen) print p
    }')"
closure=" $(echo "$closure" | tr '\n' ' ') "

missing=0
ok() { printf 'check-deps: ok       %-44s %s\n' "$1" "$2"; }
bad() { printf 'check-deps: MISSING  %-44s %s\n' "$1" "$2"; missing=1; }

# need WHAT PATH strict|closure: recorded now, judged at the end (one dpkg -S for all).
NEED_WHAT=(); NEED_PATH=(); NEED_MODE=()
declare -A NEED_SEEN=()
need() {
  [ -n "${NEED_SEEN[$1]:-}" ] && return 0
  NEED_SEEN[$1]=1; NEED_WHAT+=("$1"); NEED_PATH+=("$2"); NEED_MODE+=("$3")
}

judge() {
  local i what path pkg
  resolve_owners "${NEED_PATH[@]}"
  for i in "${!NEED_WHAT[@]}"; do
    what="${NEED_WHAT[$i]}"; path="${NEED_PATH[$i]}"
    if [ -z "$path" ] || [ ! -e "$path" ]; then
      bad "$what" "not found on this machine (${path:-no file}): install it, name its package in scripts/bootstrap.sh"
      continue
    fi
    pkg="${OWNER[$path]:-}"
    if [ -z "$pkg" ]; then
      bad "$what" "$path belongs to no Debian package (installed by hand?)"
    elif [[ "$listed" == *" $pkg "* ]]; then
      ok "$what" "$pkg"
    elif [ "${NEED_MODE[$i]}" = closure ] && [[ "$closure" == *" $pkg "* ]]; then
      ok "$what" "$pkg (essential, or a dependency of a named package)"
    else
      bad "$what" "comes from Debian package $pkg, which scripts/bootstrap.sh does not install"
    fi
  done
}

first_existing() { local f; for f in "$@"; do [ -e "$f" ] && { echo "$f"; return; }; done; echo ""; }

# --- CMake files: calls joined onto one line each (arguments may span lines), comments removed.
mapfile -t cmake_files < <(find "$ROOT" \( -name 'build*' -o -name node_modules -o -name .git \) -prune \
  -o -type f \( -name CMakeLists.txt -o -name '*.cmake' \) -print | sort)
calls="$(sed 's/#.*//' "${cmake_files[@]}" | tr '\n' ' ' |
  grep -oE '(pkg_check_modules|find_package|find_library|find_path)[[:space:]]*\([^)]*\)' | sort -u)"

keyword() { [[ "$1" =~ ^[A-Z][A-Z0-9_]*$ ]]; }
while IFS= read -r call; do
  [ -n "$call" ] || continue
  fn="${call%%(*}"; fn="${fn%%[[:space:]]*}"
  inner="${call#*(}"; inner="${inner%)}"
  read -r -a args <<<"${inner//\"/}"
  case "$fn" in
    pkg_check_modules)
      for m in "${args[@]:1}"; do
        keyword "$m" && continue
        m="${m%%[<>=]*}"
        dir="$(pkg-config --variable=pcfiledir "$m" 2>/dev/null || true)"
        need "pkg_check_modules($m)" "${dir:+$dir/$m.pc}" strict
      done ;;
    find_package)
      n="${args[0]}"
      case "$n" in
        Threads) continue ;;  # the C library (libc6-dev, which g++ brings)
        PkgConfig) need "find_package(PkgConfig)" "$(command -v pkg-config || true)" closure; continue ;;
      esac
      f="$(find "/usr/lib/$MA/cmake" /usr/lib/cmake /usr/share/cmake /usr/share/*/cmake -maxdepth 2 \
             \( -iname "${n}Config.cmake" -o -iname "${n}-config.cmake" \) 2>/dev/null | head -n1 || true)"
      [ -n "$f" ] || f="$(module_file "$n" || true)"
      [ -n "$f" ] || { bad "find_package($n)" "no config file, and check-deps.sh has no rule for this find module: add one to module_file"; continue; }
      need "find_package($n)" "$f" strict ;;
    find_library | find_path)
      names=()
      if [ "${args[1]:-}" = NAMES ]; then
        for w in "${args[@]:2}"; do keyword "$w" && break; names+=("$w"); done
      else
        names=("${args[1]:-}")
      fi
      for n in "${names[@]}"; do
        if [ "$fn" = find_library ]; then
          cands=(); for d in "${LIBDIRS[@]}"; do cands+=("$d/lib$n.so" "$d/lib$n.a"); done
        else
          cands=(); for d in "${INCDIRS[@]}"; do cands+=("$d/$n"); done
        fi
        need "$fn($n)" "$(first_existing "${cands[@]}")" strict
      done ;;
  esac
done <<<"$calls"

# --- The fuzz tree's runtimes (clang-14 only recommends the package that holds them).
if command -v clang++ >/dev/null; then
  rt="$(clang++ --print-resource-dir)/lib/linux"
  arch="$(uname -m)"
  for lib in fuzzer asan ubsan_standalone; do
    need "clang runtime $lib" "$rt/libclang_rt.$lib-$arch.a" strict
  done
fi

# --- Commands.
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
for t in "${TOOLS[@]}"; do
  case "$t" in
    pg:*) need "command ${t#pg:}" "${pgbin:+$pgbin/${t#pg:}}" closure ;;
    *) need "command $t" "$(command -v "$t" || true)" closure ;;
  esac
done

judge
if [ "$missing" = 0 ]; then
  echo "check-deps: scripts/bootstrap.sh installs every package the build and the tests use"
else
  echo "check-deps: FAILED: add the packages above to PACKAGES in scripts/bootstrap.sh" >&2
fi
exit "$missing"

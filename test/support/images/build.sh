#!/usr/bin/env bash
# Builds the local stand-ins for the public base images that the tests need.
#
# Test machines cannot pull from any registry, so the images are assembled
# from binaries that Debian already ships on the host and loaded with
# `docker import`. The tags name the Debian build they really contain
# (e.g. busybox 1.35 from busybox-static) instead of pretending to be the
# official `busybox` / `haproxy` images.
#
# Usage: test/support/images/build.sh [--force]
#   --force  rebuild images even if a tag with that name already exists
#
# Prints one line per image: "built TAG" or "present TAG".
set -euo pipefail

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

for tool in docker tar ldd; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 1; }
done
BUSYBOX_BIN=/bin/busybox
HAPROXY_BIN=/usr/sbin/haproxy
[ -x "$BUSYBOX_BIN" ] || { echo "build.sh: $BUSYBOX_BIN missing (apt-get install busybox-static)" >&2; exit 1; }
[ -x "$HAPROXY_BIN" ] || { echo "build.sh: $HAPROXY_BIN missing (apt-get install haproxy)" >&2; exit 1; }

# The busybox image needs a statically linked binary: the image has no libc.
if ldd "$BUSYBOX_BIN" >/dev/null 2>&1; then
  echo "build.sh: $BUSYBOX_BIN is dynamically linked; install busybox-static instead of busybox" >&2
  exit 1
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-images.XXXXXX")
trap 'rm -rf "$workdir"' EXIT

image_exists() {
  docker image inspect "$1" >/dev/null 2>&1
}

# Both parsers read all of their input: with pipefail, `| head -1` would
# make the pipeline fail whenever the writer gets SIGPIPE.
# "BusyBox v1.35.0 (Debian ...) multi-call binary." -> 1.35.0
busybox_version=$("$BUSYBOX_BIN" | sed -n '1s/^BusyBox v\([0-9][0-9.]*\).*/\1/p')
# "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - ..." -> 2.6.12-1+deb12u4
haproxy_version=$("$HAPROXY_BIN" -v | awk 'NR == 1 && /^HAProxy version/ {print $3}')
[ -n "$busybox_version" ] || { echo "build.sh: cannot parse busybox version" >&2; exit 1; }
[ -n "$haproxy_version" ] || { echo "build.sh: cannot parse haproxy version" >&2; exit 1; }

# Tags carry only major.minor so they stay stable across Debian point
# releases; the full version goes into the image label.
BUSYBOX_TAG="switchyard-test/busybox:$(echo "$busybox_version" | cut -d. -f1,2)-debian"
HAPROXY_TAG="switchyard-test/haproxy:$(echo "$haproxy_version" | cut -d. -f1,2)-debian"

# Pack a root filesystem with every entry owned by root, except the paths
# given as extra arguments which get uid/gid 99. Ownership is set in the
# archive rather than with chown so that the script also works for a
# non-root user in the docker group.
pack_rootfs() {
  local root=$1; shift
  local tarball excludes=() path
  tarball=$workdir/$(basename "$root").tar
  for path in "$@"; do excludes+=(--exclude="./$path"); done
  tar -C "$root" --numeric-owner --owner=0 --group=0 "${excludes[@]}" -cf "$tarball" .
  if [ $# -gt 0 ]; then
    tar -C "$root" --numeric-owner --owner=99 --group=99 -rf "$tarball" "${@/#/./}"
  fi
  echo "$tarball"
}

build_busybox() {
  local root=$workdir/busybox-rootfs applet tarball
  mkdir -p "$root"/{bin,etc,root,tmp,var/www}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  cp "$BUSYBOX_BIN" "$root/bin/busybox"
  for applet in $("$BUSYBOX_BIN" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
  cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
  # The official image's nobody group is also called "nobody"; Debian calls
  # it "nogroup". Keep both names on the same gid so either spelling works.
  echo 'nobody:x:65534:' >>"$root/etc/group"

  tarball=$(pack_rootfs "$root")
  docker import \
    --change 'CMD ["sh"]' \
    --change "LABEL org.opencontainers.image.title=busybox org.opencontainers.image.version=$busybox_version org.opencontainers.image.description=\"busybox-static from Debian, for Switchyard tests\"" \
    --message "busybox $busybox_version from the Debian busybox-static package" \
    - "$BUSYBOX_TAG" <"$tarball" >/dev/null
}

build_haproxy() {
  local root=$workdir/haproxy-rootfs lib tarball
  mkdir -p "$root"/{usr/local/sbin,usr/local/etc/haproxy,var/lib/haproxy,etc,tmp,run}
  chmod 1777 "$root/tmp"
  chmod 755 "$root/usr/local/etc/haproxy"
  cp "$HAPROXY_BIN" "$root/usr/local/sbin/haproxy"

  # Copy each shared object to the exact path the host's loader resolved, so
  # the binary finds them without an ld.so.cache in the image. `cp -L`
  # dereferences soname symlinks (liblua5.3.so.0 -> liblua5.3.so.0.0.0).
  # The vdso line has no path and is skipped.
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(ldd "$HAPROXY_BIN" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)

  # Same account as the official image (uid/gid 99, home /var/lib/haproxy),
  # so configs and file permissions written for it behave the same here.
  cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
haproxy:x:99:99:haproxy:/var/lib/haproxy:/usr/sbin/nologin
PASSWD
  cat >"$root/etc/group" <<'GROUP'
root:x:0:
haproxy:x:99:
GROUP
  # glibc >= 2.34 has the files and dns NSS modules built in, so this file is
  # all that is needed for server names in haproxy.cfg to resolve through
  # Docker's embedded DNS.
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"

  tarball=$(pack_rootfs "$root" var/lib/haproxy)
  # Unlike the official image there is no docker-entrypoint.sh here: the
  # official one rewrites a bare `haproxy ...` command to add `-W -db`. There
  # is also no shell, so nothing may rely on `sh -c` inside this image; the
  # application always passes the full haproxy command line itself.
  docker import \
    --change 'USER haproxy' \
    --change 'WORKDIR /var/lib/haproxy' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["haproxy","-f","/usr/local/etc/haproxy/haproxy.cfg"]' \
    --change "LABEL org.opencontainers.image.title=haproxy org.opencontainers.image.version=$haproxy_version org.opencontainers.image.description=\"haproxy from Debian, laid out like the official image, for Switchyard tests\"" \
    --message "haproxy $haproxy_version from the Debian haproxy package" \
    - <"$tarball" >"$workdir/haproxy-import.id"

  # The official image stops haproxy with SIGUSR1 (soft stop: finish open
  # connections, then exit). `docker import --change` rejects STOPSIGNAL, so
  # it is added by a one-instruction build on top of the imported layer.
  # The legacy builder is forced because it resolves FROM against local
  # images only; BuildKit may try to reach a registry for metadata.
  if ! printf 'FROM %s\nSTOPSIGNAL SIGUSR1\n' "$(cat "$workdir/haproxy-import.id")" \
      | DOCKER_BUILDKIT=0 docker build -q -t "$HAPROXY_TAG" - >"$workdir/haproxy-build.log" 2>&1; then
    cat "$workdir/haproxy-build.log" >&2
    exit 1
  fi
}

for spec in "busybox:$BUSYBOX_TAG" "haproxy:$HAPROXY_TAG"; do
  name=${spec%%:*}
  tag=${spec#*:}
  if [ "$force" -eq 0 ] && image_exists "$tag"; then
    echo "present $tag"
    continue
  fi
  old_id=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  "build_$name"
  # A forced rebuild leaves the previous image untagged; drop it unless a
  # container still uses it (then docker refuses, which is fine).
  new_id=$(docker image inspect --format '{{.Id}}' "$tag")
  if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
  echo "built $tag"
done

#!/bin/sh
# Builds a busybox root filesystem for the runc backend in DIR, from Debian's busybox-static:
#   scripts/build-busybox-rootfs.sh DIR
# then run a cell with `--backend runc --rootfs busybox=DIR`. Idempotent: running it again over
# the same DIR brings it up to date and changes nothing else. The runc backend mounts DIR
# read-only into every container, so one build serves all of them.
#
# Layout: /bin/busybox and a symlink per applet in /bin; /sbin, /usr/bin and /usr/sbin point at
# /bin (merged /usr), so a command is found on any usual PATH. /etc/passwd and /etc/group hold
# root (0) and vcap (1000, home /home/vcap). Mount points the container needs exist.
set -eu

BUSYBOX=${BUSYBOX:-/bin/busybox}

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
DIR=$1

if [ ! -x "$BUSYBOX" ]; then
  echo "error: $BUSYBOX not found: install Debian's busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi
# A dynamically linked busybox (Debian's `busybox` package) would not run inside the rootfs.
if command -v file >/dev/null 2>&1 && file -L "$BUSYBOX" | grep -q 'dynamically linked'; then
  echo "error: $BUSYBOX is dynamically linked: install Debian's busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi

mkdir -p "$DIR"
cd "$DIR"

mkdir -p bin etc home/vcap root tmp proc dev sys usr var/tmp
chmod 1777 tmp var/tmp
chown 1000:1000 home/vcap 2>/dev/null || true

# merged /usr: these are links to bin, created only where nothing else is yet
for link in sbin:bin usr/bin:../bin usr/sbin:../bin; do
  path=${link%%:*}
  target=${link#*:}
  if [ -L "$path" ]; then
    [ "$(readlink "$path")" = "$target" ] || { rm "$path"; ln -s "$target" "$path"; }
  elif [ -e "$path" ]; then
    echo "error: $DIR/$path exists and is not a symlink to $target; remove it or use an empty DIR" >&2
    exit 1
  else
    ln -s "$target" "$path"
  fi
done

# copy through a temporary name so a busy binary (a running container) is never half-written
cp "$BUSYBOX" bin/.busybox.new
chmod 0755 bin/.busybox.new
mv -f bin/.busybox.new bin/busybox

"$BUSYBOX" --list | while read -r applet; do
  [ "$applet" = busybox ] && continue
  ln -sfn busybox "bin/$applet"
done

cat > etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
vcap:x:1000:1000:vcap:/home/vcap:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > etc/group <<'EOF'
root:x:0:
vcap:x:1000:
nogroup:x:65534:
EOF
cat > etc/hosts <<'EOF'
127.0.0.1 localhost
::1 localhost
EOF
# containers share the host's network: name resolution as on the host
if [ -f /etc/resolv.conf ]; then cat /etc/resolv.conf > etc/resolv.conf; else : > etc/resolv.conf; fi

echo "busybox rootfs ready in $DIR ($("$BUSYBOX" --list | wc -l) applets)"

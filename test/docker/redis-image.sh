#!/bin/sh
# Builds a Redis image from this machine's redis-server and redis-cli, pulling nothing: a root
# filesystem of the two binaries, /bin/sh and the libraries ldd lists, imported into Docker.
# Its redis-server adds --protected-mode no after the arguments it is given, as the official image
# does, so that connections through Docker's port proxy are accepted.
# Usage: test/docker/redis-image.sh [image name]   (default effect-redisess/redis:local)
set -eu
name=${1:-effect-redisess/redis:local}
server=$(readlink -f "$(command -v redis-server)")
cli=$(readlink -f "$(command -v redis-cli)")
shell=$(readlink -f /bin/sh)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/usr/local/bin" "$root/usr/local/lib/redis" "$root/tmp" "$root/data"
chmod 1777 "$root/tmp"
cp "$server" "$root/usr/local/lib/redis/redis-server"
cp "$cli" "$root/usr/local/bin/redis-cli"
cp "$shell" "$root/bin/sh"
for lib in $( (ldd "$server"; ldd "$cli"; ldd "$shell") | grep -o '/[^ ]*' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cat > "$root/usr/local/bin/redis-server" <<'WRAPPER'
#!/bin/sh
exec /usr/local/lib/redis/redis-server "$@" --protected-mode no
WRAPPER
chmod 755 "$root/usr/local/bin/redis-server" "$root/usr/local/bin/redis-cli" "$root/bin/sh"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/bin' \
  --change 'WORKDIR /data' \
  --change 'EXPOSE 6379' \
  --change 'CMD ["redis-server"]' \
  - "$name" >/dev/null
echo "$name"

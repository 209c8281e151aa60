# fresh_dev.sh - sourced by a suite's script run inside `unshare -m`: /dev
# becomes a tmpfs with only null, zero, full, random, urandom and tty (bound
# from the real /dev, which stays reachable at $NS_T/olddev), so the script
# can put its own /dev/log there without touching the machine's.  Exits 97
# when a mount fails.
old=$NS_T/olddev
mkdir -p "$old"
mount --rbind /dev "$old" || exit 97
mount -t tmpfs -o mode=755 none /dev || exit 97
for n in null zero full random urandom tty; do
    [ -e "$old/$n" ] || continue
    : > "/dev/$n" && mount --bind "$old/$n" "/dev/$n" || exit 97
done

# redaction.sh: secrets planted in a running process's command line and
# environment (`friday run -p PID` records both) must be gone from every
# file of the unpacked archive, file names included, by default; with
# --redact hosts the host's name, its IP addresses, a MAC and a DNS name go
# too, each replaced by one placeholder everywhere; with --no-redact all of
# them are there. The manifest counts what was redacted, never the values.
. tests/lib.sh
need_root

ip4=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -1)
ip4=${ip4:-192.0.2.77}
host=$(hostname)
secrets="hunter2-h-SECRET tok-h-SECRET-4242 pw-h-SECRET ghp_hHHHHhhhhHHHHhhhhHHHHhhhhHHHHhhhh4242 AKIAHHHHHHHHHHHH4242"
hosts="$ip4 fd00:4242::2 02:42:ac:11:42:02 db01.friday-h.example.com"

env TOKEN=tok-h-SECRET-4242 CI_VAR=ghp_hHHHHhhhhHHHHhhhhHHHHhhhhHHHHhhhh4242 \
	AWS_ACCESS_KEY_ID=AKIAHHHHHHHHHHHH4242 \
	sh -c 'while :; do sleep 1; done' friday-h-secret --password=hunter2-h-SECRET \
	--db=postgres://app:pw-h-SECRET@db01.friday-h.example.com:5432/x \
	--bind="$ip4" --peer=fd00:4242::2 --mac=02:42:ac:11:42:02 &
pid=$!
at_exit "kill $pid 2>/dev/null"
# Until the fork has exec'd, /proc shows this script's command line.
i=0
until tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -q "friday-h-secret --password"; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "the secret holder never started"
	sleep 0.1
done

# run NAME OPTIONS...: one archive, unpacked into $SCRATCH/NAME.
run() {
	name=$1
	shift
	"$FRIDAY" run -d 2 -p "$pid" --stages monday "$@" -o "$SCRATCH/$name.tar.gz" > /dev/null \
		2> "$SCRATCH/$name.err" || fail "friday run $* exited $?: $(cat "$SCRATCH/$name.err")"
	mkdir -p "$SCRATCH/$name"
	tar -xzf "$SCRATCH/$name.tar.gz" -C "$SCRATCH/$name" || fail "cannot unpack $name"
}
# found DIR VALUE: VALUE in any file or file name under DIR.
found() {
	grep -rqiF -- "$2" "$1" || find "$1" | grep -qiF -- "$2"
}
# host_found DIR: the host name as a word (not vm.swappiness, /proc/sys/vm/
# or kvm: the redactor's own rule, so a short name such as "vm" works).
host_found() {
	grep -rqiP "(?<![A-Za-z0-9_./-])\Q$host\E(?![A-Za-z0-9_/]|[.-][A-Za-z0-9_])" "$1" ||
		find "$1" | grep -qiP "(?<![A-Za-z0-9_.])\Q$host\E(?![A-Za-z0-9_])"
}

run plain --no-redact
for v in $secrets $hosts; do
	found "$SCRATCH/plain" "$v" || fail "--no-redact: $v is not in the archive (is the target recorded?)"
done
host_found "$SCRATCH/plain" || fail "--no-redact: the host name $host is not in the archive"

run secrets
for v in $secrets; do
	found "$SCRATCH/secrets" "$v" && fail "default redaction left $v in: $(grep -rliF -- "$v" "$SCRATCH/secrets")"
done
m=$(find "$SCRATCH/secrets" -name manifest.json)
[ "$(jq '.redaction.counts.secret_value' "$m")" -ge 2 ] || fail "manifest counts $(jq -c .redaction "$m")"
[ "$(jq '.redaction.counts.url_credentials' "$m")" -ge 1 ] || fail "no url_credentials counted"
[ "$(jq '.redaction.counts.api_token + .redaction.counts.aws_access_key' "$m")" -ge 2 ] ||
	fail "tokens and keys not counted: $(jq -c .redaction "$m")"
found "$SCRATCH/secrets" "$ip4" || fail "default redaction took the IP address too (only --redact hosts should)"
echo "default: $(jq -c .redaction.counts "$m")"

run hosts --redact hosts
for v in $secrets $hosts; do
	found "$SCRATCH/hosts" "$v" && fail "--redact hosts left $v in: $(grep -rliF -- "$v" "$SCRATCH/hosts")"
done
host_found "$SCRATCH/hosts" && fail "--redact hosts left the host name $host in: $(grep -rliw -- "$host" "$SCRATCH/hosts")"
m=$(find "$SCRATCH/hosts" -name manifest.json)
d=$(dirname "$m")
for k in hostname ipv4 ipv6 mac; do
	[ "$(jq ".redaction.counts.$k" "$m")" -ge 1 ] || fail "no $k counted: $(jq -c .redaction "$m")"
done
# One placeholder per value, the same in every file.
[ "$(jq -r .host.hostname "$d/report.json")" = host-1 ] || fail "host.hostname is $(jq -r .host.hostname "$d/report.json")"
grep -q "host-1" "$d/summary.txt" || fail "summary.txt does not use the same placeholder"
grep -q "host-1" "$d/report.html" || fail "report.html does not use the same placeholder"
ph=$(jq -r '.run.target_process.argv[] | select(startswith("--bind="))' "$d/report.json")
[ "$ph" = "--bind=ipv4-1" ] || [ "$ph" = "--bind=ipv4-2" ] || fail "the IP became '$ph'"
grep -q -- "$ph" "$d/report.html" || fail "report.html has another placeholder for the IP"
echo "hosts: $(jq -c .redaction.counts "$m")"
# friday show --files reads the same counts back in a terminal.
"$FRIDAY" show "$SCRATCH/hosts.tar.gz" --files > "$SCRATCH/files" || fail "show --files exited $?"
grep -q "report.html" "$SCRATCH/files" || fail "show --files does not list report.html"
grep -q "ipv4 $(jq .redaction.counts.ipv4 "$m")" "$SCRATCH/files" || fail "show --files: $(tail -1 "$SCRATCH/files")"
echo "redaction ok"

#!/usr/bin/env bash
# progress.sh STEP — what `make tools` and `make build` pipe `go install -v` /
# `go build -v` through (stdout and stderr), so a long first build is not silent.
# Every 5 seconds at most it prints one line: the step, the time since it began,
# how many packages were compiled (or modules downloaded) and the latest one.
# Any other line (a compile error, a warning) is printed at once, unchanged.
# The exit status of the build is kept by the caller's `set -o pipefail`.
step=$1
start=$SECONDS
last=-100
n=0
dl=0
show() {
	local e=$((SECONDS - start))
	printf '  %-14s %3dm%02ds  %s\n' "$step" $((e / 60)) $((e % 60)) "$1"
}
while IFS= read -r line; do
	case $line in
	"go: downloading "*)
		dl=$((dl + 1))
		msg="downloaded $dl modules (${line#go: downloading })"
		;;
	*" "* | *:* | "#"* | "")
		printf '%s\n' "$line"
		continue
		;;
	*)
		n=$((n + 1))
		msg="compiled $n packages ($line)"
		;;
	esac
	if ((SECONDS - last >= 5)); then
		show "$msg"
		last=$SECONDS
	fi
done
summary="done: compiled $n packages"
if ((dl > 0)); then
	summary+=", downloaded $dl modules"
fi
show "$summary"

#!/usr/bin/env bash
# make.sh — regenerate screenshots/*.png: the real sockscope UI, in a real
# terminal (tmux), on real traffic (the built-in demo service, and gopls
# driven by a small LSP client).
#
#   bash screenshots/make.sh
#
# Needs go and tmux. freeze (v0.2.2) is installed into a temporary GOBIN on
# each run (the Go build cache makes that quick after the first); gopls is
# taken from PATH, or installed there too (v0.23.0) when missing. Set FREEZE
# or GOPLS to a binary to use that one instead. W and H set the terminal size
# in cells (default 140×40).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
W=${W:-140}
H=${H:-40}
# Short: Unix socket paths must stay under ~100 bytes.
work=$(mktemp -d /tmp/sockscope-shots.XXXXXX)
gopls_pid=

tmx() { tmux -S "$work/tmux.sock" "$@"; }

cleanup() {
	tmx kill-server 2>/dev/null || true
	if [ -n "$gopls_pid" ]; then kill "$gopls_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf 'make.sh: %s\n' "$*" >&2; }
die() {
	say "$*"
	for s in $(tmx list-sessions -F '#S' 2>/dev/null); do
		say "screen of $s:"
		tmx capture-pane -p -t "$s" >&2 || true
	done
	exit 1
}

# ---- tools -----------------------------------------------------------------
say "building sockscope, render, lspclient"
(cd "$repo" && go build -o "$work/sockscope" . &&
	go build -o "$work/render" ./screenshots/render &&
	go build -o "$work/lspclient" ./screenshots/lspclient)

freeze=${FREEZE:-}
if [ -z "$freeze" ]; then
	say "installing freeze v0.2.2 into a temporary GOBIN"
	GOBIN="$work/bin" go install github.com/charmbracelet/freeze@v0.2.2
	freeze=$work/bin/freeze
fi
gopls=${GOPLS:-$(command -v gopls || true)}
if [ -z "$gopls" ]; then
	say "installing gopls v0.23.0 into a temporary GOBIN (a few minutes the first time)"
	GOBIN="$work/bin" go install golang.org/x/tools/gopls@v0.23.0
	gopls=$work/bin/gopls
fi

cat >"$work/tmux.conf" <<'EOF'
set -g status off
set -g default-terminal xterm-256color
set -g remain-on-exit on
EOF

# ---- helpers ---------------------------------------------------------------

# start SESSION CMD...: run CMD in a detached W×H terminal.
start() {
	local s=$1
	shift
	if tmx has-session 2>/dev/null; then
		tmx new-session -d -x "$W" -y "$H" -s "$s" env COLORTERM=truecolor "$@"
	else
		tmx -f "$work/tmux.conf" new-session -d -x "$W" -y "$H" -s "$s" env COLORTERM=truecolor "$@"
	fi
}

screen() { tmx capture-pane -p -t "$1"; }

# keys SESSION KEY...: tmux key names; a short pause lets the UI draw.
keys() {
	local s=$1
	shift
	tmx send-keys -t "$s" "$@"
	sleep 0.3
}

# typetext SESSION TEXT: literal text.
typetext() {
	tmx send-keys -t "$1" -l "$2"
	sleep 0.3
}

# wait_for SESSION ERE [SECONDS]: poll the screen until a line matches.
wait_for() {
	local s=$1 re=$2 deadline=$((SECONDS + ${3:-60}))
	until screen "$s" | grep -Eq -- "$re"; do
		[ $SECONDS -lt "$deadline" ] || die "$s never showed /$re/"
		sleep 0.2
	done
}

# wait_rows SESSION N: until the exchange list holds at least N rows.
wait_rows() {
	local s=$1 n=$2 deadline=$((SECONDS + 120)) got
	while :; do
		got=$(screen "$s" | grep -oE 'Exchanges +[0-9]+' | grep -oE '[0-9]+$' || echo 0)
		[ "${got:-0}" -ge "$n" ] && return
		[ $SECONDS -lt "$deadline" ] || die "$s has $got rows, wanted $n"
		sleep 0.2
	done
}

# select_row SESSION ERE: move the list's selection to the first row on
# screen (from the oldest) that matches ERE, and open its detail.
select_row() {
	local s=$1 re=$2 n
	keys "$s" g
	n=$(screen "$s" | grep -E '(^|│)[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ' |
		grep -nE -- "$re" | head -1 | cut -d: -f1)
	[ -n "$n" ] || die "no row matches /$re/"
	for ((i = 1; i < n; i++)); do tmx send-keys -t "$s" j; done
	keys "$s" Enter
}

# shot SESSION NAME: the screen, normalised, rendered to screenshots/NAME.png.
shot() {
	local s=$1 name=$2
	sleep 0.3 # one more frame after the last key
	tmx capture-pane -e -p -N -t "$s" >"$work/$name.ansi"
	"$work/render" -w "$W" -h "$H" <"$work/$name.ansi" >"$work/$name.norm"
	(cd "$work" && "$freeze" -c full --font.ligatures=false -l ansi -o "$work/$name.big.png" <"$work/$name.norm" >/dev/null)
	"$work/render" -shrink 1 "$work/$name.big.png" "$here/$name.png"
	say "wrote screenshots/$name.png"
}

# ---- the demo --------------------------------------------------------------
say "sockscope demo"
start demo "$work/sockscope" demo
wait_for demo ' time +ok +1\.0[0-9]s'
wait_rows demo $((H - 4))
shot demo overview

# A paired exchange: the first time call that was answered (after 1 s).
select_row demo ' time +ok '
wait_for demo 'Detail'
wait_for demo '── response'
shot demo detail

keys demo Escape
keys demo /
typetext demo 'slow:>100ms status:ok'
keys demo Enter
keys demo G # follow the newest matching rows
wait_for demo 'filter: slow:>100ms status:ok'
shot demo filter

keys demo Escape
keys demo c # the connections pane aside: the stats table gets the room
keys demo s
wait_for demo 'Latency'
sleep 3 # a few more seconds of traffic in the histograms
shot demo stats
keys demo q

# ---- an LSP session: lspclient → sockscope → gopls ---------------------------
say "gopls ($gopls)"
"$gopls" serve -listen="unix;$work/gopls.sock" 2>"$work/gopls.log" &
gopls_pid=$!
for _ in $(seq 300); do [ -S "$work/gopls.sock" ] && break; sleep 0.1; done
[ -S "$work/gopls.sock" ] || die "gopls never listened: $(cat "$work/gopls.log")"

start lsp "$work/sockscope" --listen "$work/lsp.sock" "$work/gopls.sock"
for _ in $(seq 300); do [ -S "$work/lsp.sock" ] && break; sleep 0.1; done
"$work/lspclient" -connect "$work/lsp.sock" -dir "$work/ws" >"$work/lspclient.out"
wait_for lsp '→ +exit '
keys lsp c
select_row lsp 'textDocument/hover'
wait_for lsp '── response'
shot lsp lsp-hover

keys lsp Escape
select_row lsp 'workspace/config'
wait_for lsp '── response'
shot lsp lsp-server-request
keys lsp q
say "done"

#!/usr/bin/env bash
# Installs Rollcall from this clone on Raspberry Pi OS / Debian (bookworm), or removes it again.
#
#   sudo systemd/install.sh              an edge device: users, /opt/rollcall, /etc/rollcall, units, udev
#   sudo systemd/install.sh --server     the school server instead of an edge device
#   sudo systemd/install.sh --uninstall  removes the program, units and rules; keeps the data
#                                        (/var/lib/rollcall), the configuration (/etc/rollcall) and the users
#   systemd/install.sh --dry-run         prints each action (+ changes files, ~ changes the running system)
#   systemd/install.sh --root DIR        installs the files into DIR (CI, an image being built): no users,
#                                        no systemctl start, no udev; units enabled with systemctl --root
#
# Idempotent: run it again after `git pull` to update the program; an edited edge.toml, foot.ini
# or kiosk.token is never overwritten.
set -euo pipefail

usage() {
    sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    echo "options: [--root DIR] [--dry-run] [--uninstall] [--server] [--skip-venv]"
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$REPO/systemd"

ROOT=""
DRY_RUN=0
UNINSTALL=0
SKIP_VENV=0
ROLE=edge

while (($#)); do
    case $1 in
        --root) ROOT=${2:?"--root needs a directory"}; shift 2 ;;
        --root=*) ROOT=${1#--root=}; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        --server) ROLE=server; shift ;;
        --skip-venv) SKIP_VENV=1; shift ;;  # CI: the virtual environment needs PyPI and takes a minute
        -h | --help) usage; exit 0 ;;
        *) echo "install.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

if [[ -n $ROOT ]]; then
    ROOT=$(realpath -m -- "$ROOT")
    [[ $ROOT == / ]] && ROOT=""
fi

OPT=/opt/rollcall
VENV=$OPT/venv
ETC=/etc/rollcall
STATE=/var/lib/rollcall
UNITS=/etc/systemd/system
RULES=/etc/udev/rules.d/99-rollcall-readers.rules
MODULES=/etc/modules-load.d/rollcall.conf
LINK=/usr/local/bin/rollcall
UNIT_FILES=(rollcall-edge.service rollcall-server.service rollcall-kiosk.service)

# A running system (not --root) whose init is systemd (sd_booted(3): /run/systemd/system exists).
LIVE=0
[[ -z $ROOT ]] && LIVE=1
SYSTEMD=0
((LIVE)) && [[ -d /run/systemd/system ]] && SYSTEMD=1

say() { printf '%s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
show() {  # MARK CMD...: one action, quoted so that it could be pasted into a shell
    local mark=$1
    shift
    printf '%s' "$mark"
    printf ' %q' "$@"
    printf '%s\n' "${SUFFIX:-}"
}

# run CMD...: changes files under $ROOT; printed, then done unless --dry-run.
run() {
    show + "$@"
    ((DRY_RUN)) || "$@"
}

# host CMD...: changes the running system (users, systemd, udev, modules): never into --root.
host() {
    if ((LIVE)); then
        show '~' "$@"
        ((DRY_RUN)) || "$@"
    else
        SUFFIX="   # skipped: --root" show '~' "$@"
    fi
}

# systemctl enable/disable: into --root offline, or on the running system.
unit_links() {
    if ! command -v systemctl >/dev/null; then
        warn "no systemctl here: not running systemctl $*"
    elif ((LIVE)); then
        host systemctl "$@"
    else
        run systemctl --root="$ROOT" --quiet "$@"
    fi
}

kiosk_possible() {
    [[ -x $ROOT/usr/bin/cage && -x $ROOT/usr/bin/foot ]]
}

ensure_account() {  # NAME HOME COMMENT: a system user with its own group and no login
    local name=$1 home=$2 comment=$3
    if ((!LIVE)) || ! getent group "$name" >/dev/null; then
        host groupadd --system "$name"
    fi
    if ((!LIVE)) || ! getent passwd "$name" >/dev/null; then
        host useradd --system --gid "$name" --home-dir "$home" --no-create-home \
            --shell /usr/sbin/nologin --comment "$comment" "$name"
    fi
}

install_users() {
    ensure_account rollcall "$STATE" "Rollcall service"
    # Serial readers are group dialout, keyboard-wedge readers input, the Pi's GPIO gpio (Pi OS only).
    # The unit adds dialout and input itself; membership also lets `sudo -u rollcall rollcall readers test` work.
    local groups=dialout,input
    if ((!LIVE)) || getent group gpio >/dev/null; then groups+=,gpio; fi
    host usermod --append --groups "$groups" rollcall
    if [[ $ROLE == edge ]]; then
        ensure_account rollcall-kiosk /var/lib/rollcall-kiosk "Rollcall guard console"
    fi
}

copy_source() {  # DIR: this clone without its caches, environments and build leftovers
    tar -C "$REPO" --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*.egg-info' \
        --exclude=__pycache__ --exclude='.*_cache' --exclude=./.hypothesis -cf - . | tar -C "$1" -xf -
}

install_program() {
    run install -d -m 0755 "$ROOT$OPT"
    run install -m 0644 "$REPO/README.md" "$ROOT$OPT/README.md"
    if ((SKIP_VENV)); then
        say "  virtual environment: skipped (--skip-venv)"
    else
        # System site packages: gpiozero/lgpio and evdev come from apt (python3-gpiozero, python3-evdev).
        if [[ ! -x $ROOT$VENV/bin/python ]]; then
            if ! python3 -c 'import ensurepip' 2>/dev/null; then
                echo "install.sh: python3 cannot make a virtual environment: sudo apt-get install -y python3-venv" >&2
                exit 1
            fi
            run python3 -m venv --system-site-packages "$ROOT$VENV"
        fi
        # pip builds a local folder in place (build/, *.egg-info, stale files and all): build from a copy.
        if ((DRY_RUN)); then
            BUILD=/tmp/rollcall-build.XXXXXX
        else
            BUILD=$(mktemp -d)
            trap 'rm -rf "$BUILD"' EXIT
        fi
        run copy_source "$BUILD"
        run "$ROOT$VENV/bin/pip" install --quiet --disable-pip-version-check "$BUILD"
        # The version number does not change with each commit: replace the program itself every time.
        run "$ROOT$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$BUILD"
    fi
    run install -d -m 0755 "$ROOT$(dirname "$LINK")"
    run ln -sfn "$VENV/bin/rollcall" "$ROOT$LINK"
}

new_token() {  # 32 random bytes, URL-safe base64 without padding
    head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

install_config() {
    run install -d -m 0755 "$ROOT$ETC"
    [[ $ROLE == edge ]] || return 0
    local token=$ROOT$ETC/kiosk.token config=$ROOT$ETC/edge.toml sha=""
    if [[ ! -e $token ]]; then
        say "+ write $ETC/kiosk.token (a new random guard token for the kiosk console)"
        if ((!DRY_RUN)); then
            (umask 0077 && new_token >"$token")
        fi
    fi
    run chmod 0640 "$token"
    host chown root:rollcall-kiosk "$token"
    if [[ -e $token ]]; then
        sha=$(tr -d '[:space:]' <"$token" | sha256sum | cut -d' ' -f1)
    fi
    if [[ ! -e $config ]]; then
        say "+ write $ETC/edge.toml (from systemd/edge.toml.example, the kiosk token's hash filled in)"
        if ((!DRY_RUN)); then
            local device
            device=$(hostname -s 2>/dev/null || echo gate-1)
            (umask 0077 && sed -e "s/@DEVICE_ID@/$device/" -e "s/@KIOSK_SHA256@/$sha/" \
                "$SRC/edge.toml.example" >"$config")
        fi
    elif [[ -n $sha ]] && ! grep -q "$sha" "$config"; then
        warn "$ETC/edge.toml has no token for $ETC/kiosk.token: add to it"
        printf '[[api.tokens]]\nrole = "guard"\nname = "kiosk"\nsha256 = "%s"\n' "$sha" >&2
    fi
    # Readable by root and the service's group only: it holds the token hashes and reader layout.
    run chmod 0640 "$config"
    host chown root:rollcall "$config"
    if [[ ! -e $ROOT$ETC/foot.ini ]]; then
        run install -m 0644 "$SRC/foot.ini" "$ROOT$ETC/foot.ini"
    fi
}

install_system_files() {
    local unit
    for unit in "${UNIT_FILES[@]}"; do
        run install -D -m 0644 "$SRC/$unit" "$ROOT$UNITS/$unit"
    done
    if [[ $ROLE == edge ]]; then
        run install -D -m 0644 "$SRC/99-rollcall-readers.rules" "$ROOT$RULES"
        run install -D -m 0644 "$SRC/modules-load.conf" "$ROOT$MODULES"
    fi
}

activate() {
    if ((SYSTEMD)); then
        host systemctl daemon-reload
    fi
    if [[ $ROLE == server ]]; then
        unit_links enable rollcall-server.service
        if ((SYSTEMD)) && [[ -e $ETC/server.toml ]]; then
            host systemctl restart rollcall-server.service
        fi
        return 0
    fi
    if ((SYSTEMD)); then
        host modprobe -a usbserial cdc_acm || warn "could not load usbserial, cdc_acm (built in?)"
        host udevadm control --reload
        host udevadm trigger --action=change --subsystem-match=tty --subsystem-match=input
    fi
    unit_links enable rollcall-edge.service
    if ((SYSTEMD)); then
        host systemctl restart rollcall-edge.service
    fi
    if kiosk_possible; then
        # The console takes tty1 from the login prompt, from the next boot on. Not started now: this
        # script may be running on tty1 itself. Start it by hand or reboot.
        unit_links disable getty@tty1.service || warn "could not disable getty@tty1.service"
        unit_links enable rollcall-kiosk.service
        say "  the guard console starts on the display at the next boot (or: sudo systemctl start rollcall-kiosk)"
    else
        say "  cage or foot is not installed: the guard console (rollcall-kiosk.service) is not enabled;"
        say "  sudo apt-get install -y cage foot fonts-noto-cjk, then run this script again"
    fi
    if ((!SYSTEMD)) && ((LIVE)); then
        say "  systemd is not running here: nothing started; the units start at the next boot"
    fi
}

uninstall() {
    local unit
    local kiosk_enabled=0
    [[ -L $ROOT$UNITS/multi-user.target.wants/rollcall-kiosk.service ]] && kiosk_enabled=1
    for unit in "${UNIT_FILES[@]}"; do
        [[ -e $ROOT$UNITS/$unit ]] || continue
        if ((SYSTEMD)); then
            host systemctl disable --now "$unit"
        else
            unit_links disable "$unit"
        fi
    done
    if ((kiosk_enabled)); then  # the console had taken tty1 from the login prompt: give it back
        if ((SYSTEMD)); then
            host systemctl enable --now getty@tty1.service || warn "could not enable getty@tty1.service"
        else
            unit_links enable getty@tty1.service || warn "could not enable getty@tty1.service"
        fi
    fi
    for unit in "${UNIT_FILES[@]}"; do
        run rm -f "$ROOT$UNITS/$unit"
    done
    run rm -f "$ROOT$RULES" "$ROOT$MODULES" "$ROOT$LINK"
    run rm -rf "$ROOT$OPT"
    if ((SYSTEMD)); then
        host systemctl daemon-reload
        host udevadm control --reload
    fi
    say "kept: $STATE (the event log), $ETC (configuration and tokens), the users rollcall and rollcall-kiosk"
    say "  remove them by hand if the device is retired: sudo rm -r $STATE $ETC; sudo userdel rollcall; sudo userdel rollcall-kiosk"
}

main() {
    if ((LIVE && !DRY_RUN && EUID != 0)); then
        echo "install.sh: run as root (sudo $0), or preview with --dry-run" >&2
        exit 1
    fi
    if ((UNINSTALL)); then
        say "removing Rollcall from ${ROOT:-/}"
        uninstall
        return 0
    fi
    local file
    for file in "${UNIT_FILES[@]}" 99-rollcall-readers.rules modules-load.conf edge.toml.example foot.ini; do
        [[ -r $SRC/$file ]] || { echo "install.sh: missing $SRC/$file" >&2; exit 1; }
    done
    say "installing Rollcall ($ROLE) from $REPO into ${ROOT:-/}"
    install_users
    install_program
    install_config
    install_system_files
    activate
    if [[ $ROLE == edge ]]; then
        say "done. Next: edit $ETC/edge.toml (readers: rollcall readers list), then"
        say "  sudo systemctl restart rollcall-edge && curl http://127.0.0.1:8470/healthz"
    else
        say "done. Next: write $ETC/server.toml, then: sudo systemctl restart rollcall-server"
    fi
}

main

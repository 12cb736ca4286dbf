#!/usr/bin/env bash
# Installs Rollcall from this clone on Raspberry Pi OS / Debian (bookworm), or removes it again.
#
#   sudo systemd/install.sh              an edge device: users, /opt/rollcall, /etc/rollcall, units, udev
#   sudo systemd/install.sh --server     the school server instead: its unit and /etc/rollcall/server.toml
#   sudo systemd/install.sh --district   the district's view instead: its unit and /etc/rollcall/district.toml
#   sudo systemd/install.sh --offline DIR  installs the program from a bundle (`make bundle`), no network
#   sudo systemd/install.sh --kiosk WHAT what the device's display shows: guard (the guard console, the
#                                        default), student (the students' screen) or both (on two displays)
#   sudo systemd/install.sh --uninstall  removes the program, units and rules; keeps the data (/var/lib/rollcall,
#                                        /var/lib/rollcall-server), the configuration (/etc/rollcall) and the users
#   systemd/install.sh --dry-run         prints each action (+ changes files, ~ changes the running system)
#   systemd/install.sh --root DIR        installs the files into DIR (CI, an image being built): no users,
#                                        no systemctl start, no udev; units enabled with systemctl --root
#
# Idempotent: run it again after `git pull` to update the program; an edited edge.toml, server.toml, district.toml,
# foot.ini, foot-student.ini, sway.conf or kiosk.token is never overwritten.
set -euo pipefail

usage() {
    sed -n '2,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    echo "options: [--root DIR] [--dry-run] [--uninstall] [--server | --district] [--offline DIR] [--kiosk guard|student|both] [--skip-venv]"
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$REPO/systemd"

ROOT=""
DRY_RUN=0
UNINSTALL=0
SKIP_VENV=0
OFFLINE=""
ROLE=edge
KIOSK=""

die() {  # a one-line reason, exit status 2: bad input
    printf 'install.sh: %s\n' "$*" >&2
    exit 2
}

while (($#)); do
    case $1 in
        --root) (($# > 1)) || die "--root needs a directory"; ROOT=$2; shift 2 ;;
        --root=*) ROOT=${1#--root=}; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        --server) ROLE=server; shift ;;
        --district) ROLE=district; shift ;;
        --skip-venv) SKIP_VENV=1; shift ;;  # CI: the virtual environment needs PyPI and takes a minute
        --offline) (($# > 1)) || die "--offline needs the bundle's folder (make bundle: dist/bundle)"; OFFLINE=$2; shift 2 ;;
        --offline=*) OFFLINE=${1#--offline=}; shift ;;
        --kiosk) (($# > 1)) || die "--kiosk needs guard, student or both"; KIOSK=$2; shift 2 ;;
        --kiosk=*) KIOSK=${1#--kiosk=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "install.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

if [[ -n $OFFLINE ]]; then
    ((!SKIP_VENV)) || die "--offline installs the virtual environment: not with --skip-venv"
    ((!UNINSTALL)) || die "--offline is for installing: not with --uninstall"
    [[ -d $OFFLINE ]] || die "--offline $OFFLINE: no such folder"
    OFFLINE=$(realpath -- "$OFFLINE")
    [[ -r $OFFLINE/SHA256SUMS && -r $OFFLINE/manifest.json ]] ||
        die "--offline $OFFLINE: not a bundle (no SHA256SUMS and manifest.json; build one with make bundle)"
fi

case $KIOSK in
    "" | guard | student | both) ;;
    *) die "--kiosk $KIOSK: say guard (the guard console), student (the students' screen) or both" ;;
esac
if [[ -n $KIOSK && $ROLE != edge ]]; then
    die "--kiosk is for an edge device's display: not with --$ROLE"
fi

if [[ -n $ROOT ]]; then
    ROOT=$(realpath -m -- "$ROOT")
    [[ $ROOT == / ]] && ROOT=""
fi

OPT=/opt/rollcall
VENV=$OPT/venv
ETC=/etc/rollcall
STATE=/var/lib/rollcall
SERVER_STATE=/var/lib/rollcall-server
UNITS=/etc/systemd/system
RULES=/etc/udev/rules.d/99-rollcall-readers.rules
MODULES=/etc/modules-load.d/rollcall.conf
LINK=/usr/local/bin/rollcall
# The display's units: one of them has tty1, as --kiosk says (rollcall-kiosk.service is the guard console).
DISPLAY_UNITS=(rollcall-kiosk.service rollcall-student-kiosk.service rollcall-displays.service)
UNIT_FILES=(rollcall-edge.service rollcall-server.service rollcall-district.service "${DISPLAY_UNITS[@]}")
# What each role installs: a server needs neither the readers' nor the console's unit, a device no server.
if [[ $ROLE == server ]]; then
    ROLE_UNITS=(rollcall-server.service)
elif [[ $ROLE == district ]]; then
    ROLE_UNITS=(rollcall-district.service)
else
    ROLE_UNITS=(rollcall-edge.service "${DISPLAY_UNITS[@]}")
fi
# The account each service runs as, and so the group its configuration file is readable by.
unit_user() { sed -n 's/^User=//p' "$SRC/$1" | tail -n 1; }

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

if [[ -z $KIOSK ]]; then  # run again without --kiosk (an update): the display keeps its program
    KIOSK=guard
    if [[ -L $ROOT$UNITS/multi-user.target.wants/rollcall-student-kiosk.service ]]; then KIOSK=student; fi
    if [[ -L $ROOT$UNITS/multi-user.target.wants/rollcall-displays.service ]]; then KIOSK=both; fi
fi
# --kiosk's unit, what it runs on, and the packages that gives.
case $KIOSK in
    guard) DISPLAY_UNIT=rollcall-kiosk.service; DISPLAY_WHAT="the guard console" ;;
    student) DISPLAY_UNIT=rollcall-student-kiosk.service; DISPLAY_WHAT="the students' screen" ;;
    both) DISPLAY_UNIT=rollcall-displays.service; DISPLAY_WHAT="the guard console and the students' screen" ;;
esac
if [[ $KIOSK == both ]]; then
    COMPOSITOR=sway
else
    COMPOSITOR=cage
fi

kiosk_possible() {
    [[ -x $ROOT/usr/bin/$COMPOSITOR && -x $ROOT/usr/bin/foot ]]
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
    if [[ $ROLE == server ]]; then
        ensure_account "$(unit_user rollcall-server.service)" "$SERVER_STATE" "Rollcall school server"
        return 0
    fi
    if [[ $ROLE == district ]]; then  # its data is the district's PostgreSQL: no home of its own
        ensure_account "$(unit_user rollcall-district.service)" /nonexistent "Rollcall district view"
        return 0
    fi
    local user
    user=$(unit_user rollcall-edge.service)
    ensure_account "$user" "$STATE" "Rollcall service"
    # Serial readers are group dialout, keyboard-wedge readers input, the Pi's GPIO gpio (Pi OS only).
    # The unit adds dialout and input itself (SupplementaryGroups=), and systemd refuses to start it
    # when one of them does not exist (status 216/GROUP): a minimal image without udev's groups gets
    # them made here. Membership also lets `sudo -u rollcall rollcall readers test` work.
    local group groups=dialout,input
    for group in dialout input; do
        if ((LIVE)) && ! getent group "$group" >/dev/null; then
            warn "there is no group $group here (no udev?): making it, as the edge's unit needs it"
            host groupadd --system "$group" || warn "could not make the group $group"
        fi
    done
    if ((!LIVE)) || getent group gpio >/dev/null; then groups+=,gpio; fi
    host usermod --append --groups "$groups" "$user" || warn "could not add $user to the groups $groups"
    ensure_account rollcall-kiosk /var/lib/rollcall-kiosk "Rollcall guard console"
}

make_venv() {
    # System site packages: gpiozero/lgpio and evdev come from apt (python3-gpiozero, python3-evdev).
    if [[ ! -x $ROOT$VENV/bin/python ]]; then
        if ! python3 -c 'import ensurepip' 2>/dev/null; then
            echo "install.sh: python3 cannot make a virtual environment: sudo apt-get install -y python3-venv" >&2
            exit 1
        fi
        run python3 -m venv --system-site-packages "$ROOT$VENV"
    fi
}

# This machine's platform as the bundle names it. A 32-bit Raspberry Pi OS on a 64-bit kernel says
# aarch64 in uname: what counts is the interpreter's word size.
python_platform() {
    python3 -c 'import platform, struct
machine = platform.machine()
print("armv7l" if machine.startswith(("arm", "aarch64")) and struct.calcsize("P") == 4 else machine)'
}

# Before anything changes: the bundle is whole and holds every wheel this machine needs.
check_bundle() {
    local arch problem wheels
    say "checking the bundle $OFFLINE (SHA256SUMS, manifest.json)"
    command -v python3 >/dev/null || { echo "install.sh: python3 is not installed: sudo apt-get install -y python3-venv" >&2; exit 1; }
    (cd "$OFFLINE" && sha256sum --check --quiet --strict SHA256SUMS) ||
        { echo "install.sh: the bundle $OFFLINE is damaged: a file does not match SHA256SUMS (copy it again)" >&2; exit 1; }
    arch=$(python_platform)
    problem=$(python3 - "$OFFLINE/manifest.json" "$arch" 2>&1 <<'PY'
import json, sys
arch = sys.argv[2]
try:
    manifest = json.load(open(sys.argv[1], encoding="utf-8"))
    found = manifest["platforms"].get(arch)
except (ValueError, KeyError, AttributeError) as error:
    sys.exit(f"has an unreadable manifest.json ({error!r}): build it again with make bundle")
if found is None:
    print(f"has no wheels for {arch}, only for {', '.join(manifest['platforms']) or 'nothing'}: make bundle ARGS=--arch={arch}")
elif not found["complete"]:
    print(f"is incomplete for {arch}: " + "; ".join(f"{m['requirement']}: {m['reason']}" for m in found["missing"]))
elif manifest["python"] != "{}.{}".format(*sys.version_info[:2]):
    print(f"was built for Python {manifest['python']}, this machine has {sys.version.split()[0]}: make bundle ARGS=--python={sys.version_info[0]}.{sys.version_info[1]}")
PY
) || true
    [[ -z $problem ]] || { echo "install.sh: the bundle $OFFLINE $problem" >&2; exit 1; }
    if [[ $ROLE != edge && $arch == armv7l ]]; then
        echo "install.sh: --$ROLE: the $ROLE needs a 64-bit system (aarch64 or x86_64); this one is armv7l" >&2
        exit 1
    fi
    BUNDLE_REQUIREMENTS=$OFFLINE/requirements-$arch.txt
    wheels=("$OFFLINE"/rollcall-*.whl)
    if ((${#wheels[@]} != 1)) || [[ ! -e ${wheels[0]} || ! -r $BUNDLE_REQUIREMENTS ]]; then
        echo "install.sh: the bundle $OFFLINE should hold one rollcall-*.whl and requirements-$arch.txt" >&2
        exit 1
    fi
    BUNDLE_WHEEL=${wheels[0]}
}

# The program and its dependencies from the bundle's wheels alone: no index, this machine's pip
# configuration ignored (it may name a mirror), each file checked against the bundle's pinned hashes.
install_offline() {
    local pip=(env PIP_CONFIG_FILE=/dev/null "$ROOT$VENV/bin/pip" --isolated --disable-pip-version-check)
    run "${pip[@]}" install --quiet --no-index --find-links "$OFFLINE" --require-hashes --requirement "$BUNDLE_REQUIREMENTS"
    # The version number does not change with each commit: replace the program itself every time.
    run "${pip[@]}" install --quiet --no-index --no-deps --force-reinstall "$BUNDLE_WHEEL"
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
    elif [[ -n $OFFLINE ]]; then
        make_venv
        install_offline
    else
        make_venv
        # pip builds a local folder in place (build/, *.egg-info, stale files and all): build from a copy.
        if ((DRY_RUN)); then
            BUILD=/tmp/rollcall-build.XXXXXX
        else
            BUILD=$(mktemp -d)
            trap 'rm -rf "$BUILD"' EXIT
        fi
        run copy_source "$BUILD"
        local program=$BUILD
        [[ $ROLE == server ]] && program="${BUILD}[server]"  # the office's password hashing
        [[ $ROLE == district ]] && program="${BUILD}[server,district]"  # the bureau's passwords, and psycopg
        run "$ROOT$VENV/bin/pip" install --quiet --disable-pip-version-check "$program"
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
    if [[ $ROLE == server ]]; then
        install_server_config
        return 0
    fi
    if [[ $ROLE == district ]]; then
        install_district_config
        return 0
    fi
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
    local file
    for file in foot.ini foot-student.ini sway.conf; do
        if [[ ! -e $ROOT$ETC/$file ]]; then
            run install -m 0644 "$SRC/$file" "$ROOT$ETC/$file"
        fi
    done
}

NEW_SERVER_CONFIG=0
install_server_config() {
    local config=$ROOT$ETC/server.toml
    if [[ ! -e $config ]]; then
        say "+ write $ETC/server.toml (from systemd/server.toml.example: name the devices and tokens in it)"
        if ((!DRY_RUN)); then
            (umask 0077 && cat "$SRC/server.toml.example" >"$config")
        fi
        NEW_SERVER_CONFIG=1
    fi
    # It holds each device's pull token in clear: readable by root and the server's group only.
    run chmod 0640 "$config"
    host chown "root:$(unit_user rollcall-server.service)" "$config"
}

NEW_DISTRICT_CONFIG=0
install_district_config() {
    local config=$ROOT$ETC/district.toml
    if [[ ! -e $config ]]; then
        say "+ write $ETC/district.toml (from systemd/district.toml.example: name the schools and users in it)"
        if ((!DRY_RUN)); then
            (umask 0077 && cat "$SRC/district.toml.example" >"$config")
        fi
        NEW_DISTRICT_CONFIG=1
    fi
    # It holds the pull tokens of the schools on SQLite in clear: root and the district's group only.
    run chmod 0640 "$config"
    host chown "root:$(unit_user rollcall-district.service)" "$config"
}

install_system_files() {
    local unit
    for unit in "${ROLE_UNITS[@]}"; do
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
        # As written from the example it serves with no device yet; edited, it pulls what it names.
        if ((SYSTEMD)); then
            host systemctl restart rollcall-server.service
        fi
        return 0
    fi
    if [[ $ROLE == district ]]; then
        # As written from the example it has no user to sign in: enabled, started once it is edited.
        unit_links enable rollcall-district.service
        return 0
    fi
    if ((SYSTEMD)); then
        host modprobe -a usbserial cdc_acm || warn "could not load usbserial, cdc_acm (built in?)"
        # No udev daemon (a container, some minimal images): the rules apply from the next boot with one.
        host udevadm control --reload || warn "udevadm control --reload failed (is udev running?): the reader names apply at the next boot"
        host udevadm trigger --action=change --subsystem-match=tty --subsystem-match=input ||
            warn "udevadm trigger failed (is udev running?): replug the readers or reboot for their names"
    fi
    unit_links enable rollcall-edge.service
    if ((SYSTEMD)); then
        host systemctl restart rollcall-edge.service
    fi
    local unit
    for unit in "${DISPLAY_UNITS[@]}"; do  # an earlier run's choice gives the display up
        if [[ $unit != "$DISPLAY_UNIT" && -L $ROOT$UNITS/multi-user.target.wants/$unit ]]; then
            unit_links disable "$unit"
        fi
    done
    if kiosk_possible; then
        # The display's program takes tty1 from the login prompt, from the next boot on. Not started
        # now: this script may be running on tty1 itself. Start it by hand or reboot.
        unit_links disable getty@tty1.service || warn "could not disable getty@tty1.service"
        unit_links enable "$DISPLAY_UNIT"
        say "  $DISPLAY_WHAT starts on the display at the next boot (or: sudo systemctl start ${DISPLAY_UNIT%.service})"
    else
        say "  $COMPOSITOR or foot is not installed: $DISPLAY_WHAT ($DISPLAY_UNIT) is not enabled;"
        say "  sudo apt-get install -y $COMPOSITOR foot fonts-noto-cjk, then run this script again"
    fi
    if ((!SYSTEMD)) && ((LIVE)); then
        say "  systemd is not running here: nothing started; the units start at the next boot"
    fi
}

uninstall() {
    local unit
    local kiosk_enabled=0
    for unit in "${DISPLAY_UNITS[@]}"; do
        [[ -L $ROOT$UNITS/multi-user.target.wants/$unit ]] && kiosk_enabled=1
    done
    for unit in "${UNIT_FILES[@]}"; do
        [[ -e $ROOT$UNITS/$unit ]] || continue
        if ((SYSTEMD)); then
            host systemctl disable --now "$unit"
        else
            unit_links disable "$unit"
        fi
    done
    if ((kiosk_enabled)); then  # the display's program had taken tty1 from the login prompt: give it back
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
        host udevadm control --reload || warn "udevadm control --reload failed (is udev running?)"
    fi
    say "kept: $STATE (a device's event log), $SERVER_STATE (the school server's), $ETC (configuration and tokens),"
    say "  the users rollcall and rollcall-kiosk"
    say "  remove them by hand if the machine is retired: sudo rm -r $STATE $SERVER_STATE $ETC; sudo userdel rollcall; sudo userdel rollcall-kiosk"
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
    local file needed=("${ROLE_UNITS[@]}" 99-rollcall-readers.rules modules-load.conf edge.toml.example foot.ini
        foot-student.ini sway.conf)
    [[ $ROLE == server ]] && needed=("${ROLE_UNITS[@]}" server.toml.example)
    [[ $ROLE == district ]] && needed=("${ROLE_UNITS[@]}" district.toml.example)
    for file in "${needed[@]}"; do
        [[ -r $SRC/$file ]] || { echo "install.sh: missing $SRC/$file" >&2; exit 1; }
    done
    [[ -z $OFFLINE ]] || check_bundle
    say "installing Rollcall ($ROLE) from $REPO into ${ROOT:-/}"
    install_users
    install_program
    install_config
    install_system_files
    activate
    if [[ $ROLE == edge ]]; then
        say "done. Next: edit $ETC/edge.toml (readers: rollcall readers list), then"
        say "  sudo systemctl restart rollcall-edge && curl http://127.0.0.1:8470/healthz"
    elif [[ $ROLE == district ]]; then
        if ((NEW_DISTRICT_CONFIG)); then
            say "done. Next: set up the district's PostgreSQL (README: the district view), sudoedit $ETC/district.toml"
            say "  (store.url, the schools, a user: rollcall district passwd), rollcall district subscribe, then"
            say "  sudo systemctl restart rollcall-district"
        else
            say "done. $ETC/district.toml was kept; after editing it: sudo systemctl restart rollcall-district"
        fi
    else
        if ((NEW_SERVER_CONFIG)); then
            say "done. Next: sudoedit $ETC/server.toml (the devices and tokens), then: sudo systemctl restart rollcall-server"
        else
            say "done. $ETC/server.toml was kept; after editing it: sudo systemctl restart rollcall-server"
        fi
    fi
}

main

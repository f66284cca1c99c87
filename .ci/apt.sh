# Sourced by the .ci/install-*.sh scripts: apt_install PACKAGE... installs Debian packages,
# through sudo when not root, without prompts and without recommended extras.
apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "$@"
}

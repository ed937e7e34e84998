# Shared by the bench scripts (sourced, not run).

# need_pkg command package: installs the Debian package when the command is
# missing and we are root; otherwise says what to install, and exits.
need_pkg() {
	command -v "$1" >/dev/null && return
	if [ "$(id -u)" = 0 ]; then
		echo "installing the Debian package $2" >&2
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	else
		echo "$1 is missing: install the Debian package $2 (sudo apt-get install $2)" >&2
		exit 1
	fi
}

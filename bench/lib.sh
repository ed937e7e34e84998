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

# disk_dir: where a bench's work folder goes: TMPDIR (or /tmp) unless that is
# a tmpfs, which would hold the corpora and outputs in RAM and make writes
# look free; /var/tmp then.
disk_dir() {
	local parent=${TMPDIR:-/tmp}
	if [ "$(df --output=fstype "$parent" 2>/dev/null | tail -1)" = tmpfs ]; then
		parent=/var/tmp
	fi
	echo "$parent"
}

# hugos_work: what a site file gains to do Hugo's work alone: no
# precompressed variants, archive pages, preview pages or delta packs.
hugos_work='precompress: []
archives: {site: none, category: none, tag: none, author: none}
previews: false
deltas: 0'

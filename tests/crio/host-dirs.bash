# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Host directories that CRI-O writes to whatever its config says: its CNI library keeps a cache in
# /var/lib/cni, its image library one in /var/lib/containers/cache. crio_enter_ns (crio-lib.sh)
# bind-mounts private copies over them inside its namespace, but only over those that exist; a
# missing one would be created on the host and left there. So the scripts here make the missing
# ones (empty) before the namespace is entered, and remove them again afterwards. Inside the
# namespace they are covered by the private copies, so on the host they stay empty.

HOST_CACHE_DIRS=(/var/lib/cni /var/lib/containers /var/lib/containers/cache)

# host_dirs_make: make the missing HOST_CACHE_DIRS; print the ones made, space separated.
host_dirs_make() {
	local d made=()
	for d in "${HOST_CACHE_DIRS[@]}"; do
		if [[ ! -e $d ]]; then
			mkdir -m 0700 "$d" || return 1
			made+=("$d")
		fi
	done
	echo "${made[*]}"
}

# host_dirs_remove LIST: remove the directories host_dirs_make made (its output), deepest first.
# rmdir, not rm -r: whatever another process put there meanwhile stays, with a message.
host_dirs_remove() {
	local -a made
	local i
	read -ra made <<<"$1"
	for ((i = ${#made[@]} - 1; i >= 0; i--)); do
		rmdir "${made[i]}" || echo "could not remove ${made[i]}, which this run made" >&2
	done
	return 0
}

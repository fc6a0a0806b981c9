package prune

import "strings"

// IsStandardName reports whether a backup volume ID (or path, or file name)
// uses vzdump's standard naming scheme,
//
//	vzdump-<lxc|openvz|qemu>-<VMID>-YYYY_MM_DD-HH_MM_SS.<tgz|tar|vma>[.<gz|lzo|zst>]
//
// with a VMID of 3 to 9 digits and no leading zero. Proxmox's prune only
// groups and counts backups named this way; any other name is "renamed".
// Only the shape is checked: the timestamp is not validated as a date.
func IsStandardName(volid string) bool {
	name := volid
	if i := strings.LastIndexAny(name, "/:"); i >= 0 {
		name = name[i+1:]
	}
	rest, ok := strings.CutPrefix(name, "vzdump-")
	if !ok {
		return false
	}
	typ, rest, ok := strings.Cut(rest, "-")
	if !ok || (typ != "lxc" && typ != "openvz" && typ != "qemu") {
		return false
	}
	vmid, rest, ok := strings.Cut(rest, "-")
	if !ok || len(vmid) < 3 || len(vmid) > 9 || vmid[0] == '0' || !allDigits(vmid) {
		return false
	}
	// YYYY_MM_DD-HH_MM_SS
	const stamp = "dddd_dd_dd-dd_dd_dd"
	if len(rest) <= len(stamp) || rest[len(stamp)] != '.' {
		return false
	}
	for i := 0; i < len(stamp); i++ {
		if stamp[i] == 'd' {
			if rest[i] < '0' || rest[i] > '9' {
				return false
			}
		} else if rest[i] != stamp[i] {
			return false
		}
	}
	return isArchiveExt(rest[len(stamp)+1:])
}

func isArchiveExt(ext string) bool {
	if ext == "tgz" {
		return true
	}
	format, comp, compressed := strings.Cut(ext, ".")
	if format != "tar" && format != "vma" {
		return false
	}
	return !compressed || comp == "gz" || comp == "lzo" || comp == "zst"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

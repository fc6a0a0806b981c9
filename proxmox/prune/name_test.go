package prune

import "testing"

func TestIsStandardName(t *testing.T) {
	tests := []struct {
		volid string
		want  bool
	}{
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.vma.zst", true},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.vma", true},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.vma.gz", true},
		{"local:backup/vzdump-lxc-123456789-2024_01_02-03_04_05.tar.lzo", true},
		{"nfs:backup/vzdump-lxc-100-2024_01_02-03_04_05.tar", true},
		{"nfs:backup/vzdump-openvz-100-2010_01_02-03_04_05.tgz", true},
		{"/var/lib/vz/dump/vzdump-qemu-100-2024_01_02-03_04_05.vma.zst", true},
		{"vzdump-qemu-100-2024_01_02-03_04_05.vma.zst", true},
		{"store:vzdump-qemu-100-2024_01_02-03_04_05.vma.zst", true},

		{"local:backup/vzdump-qemu-99-2024_01_02-03_04_05.vma.zst", false},         // VMID too short
		{"local:backup/vzdump-qemu-0100-2024_01_02-03_04_05.vma.zst", false},       // leading zero
		{"local:backup/vzdump-qemu-1234567890-2024_01_02-03_04_05.vma.zst", false}, // VMID too long
		{"local:backup/vzdump-qemu-10a-2024_01_02-03_04_05.vma.zst", false},
		{"local:backup/vzdump-QEMU-100-2024_01_02-03_04_05.vma.zst", false},
		{"local:backup/vzdump-kvm-100-2024_01_02-03_04_05.vma.zst", false},
		{"local:backup/vzdump-1234-renamed.tar.zst", false},
		{"local:backup/vzdump-lxc-novmid.tar.gz", false},
		{"local:backup/vzdump-qemu-100-renamed.vma.zst", false},
		{"local:backup/vzdump-qemu-100-2024-01-02-03_04_05.vma.zst", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_5.vma.zst", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.tgz.zst", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.tar.bz2", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.vma.zst.notes", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05.log", false},
		{"local:backup/vzdump-qemu-100-2024_01_02-03_04_05x.vma", false},
		{"local:backup/old-vzdump-qemu-100-2024_01_02-03_04_05.vma", false},
		{"pbs:backup/vm/100/2024-01-02T03:04:05Z", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsStandardName(tt.volid); got != tt.want {
			t.Errorf("IsStandardName(%q) = %v, want %v", tt.volid, got, tt.want)
		}
	}
}

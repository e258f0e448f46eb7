//go:build !linux

package cli

// preferHugePages is Linux's transparent huge pages only.
func preferHugePages() {}

package wire

import "fmt"

// CheckSize refuses a payload over MaxDocumentBytes, before any parsing, with
// a *Error naming the format and the size. It returns nil for anything
// smaller.
func CheckSize(format string, data []byte) error {
	if len(data) <= MaxDocumentBytes {
		return nil
	}
	const mib = 1 << 20
	return &Error{
		Format: format,
		Reason: fmt.Sprintf("document is %s MiB, over the %d MiB limit", formatMiB(len(data)), MaxDocumentBytes/mib),
	}
}

// formatMiB writes n bytes in MiB, whole when exact, else with one decimal
// rounded up, so a payload just over the limit never reads as the limit.
func formatMiB(n int) string {
	const mib = 1 << 20
	if n%mib == 0 {
		return fmt.Sprint(n / mib)
	}
	tenths := (n*10 + mib - 1) / mib
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

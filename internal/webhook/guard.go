package webhook

import (
	"fmt"
	"net/netip"
	"syscall"
)

// The same policy as the source fetcher's (internal/fetch): a subscriber's
// URL is whatever an admin typed, and must not become a way to reach the
// server's own network.
var (
	// RFC 6598 shared address space (carrier-grade NAT, cloud internals).
	sharedRange = netip.MustParsePrefix("100.64.0.0/10")
	// RFC 1122 "this network", which Linux routes to the local host.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// BlockedAddressError is a connection the private-address guard refused.
type BlockedAddressError struct {
	Addr netip.Addr
	Kind string
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("refusing to connect to %s address %s: the webhook is not allowed private addresses", e.Kind, e.Addr)
}

// refusePrivate is a net.Dialer Control func: it sees the address actually
// dialled, after DNS, so a name that resolves inwards is caught too.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to connect to %q: cannot check the address: %w", address, err)
	}
	a := ap.Addr().Unmap()
	kind := ""
	switch {
	case a.IsLoopback():
		kind = "loopback"
	case a.IsUnspecified() || (a.Is4() && thisNetwork.Contains(a)):
		kind = "unspecified"
	case a.IsPrivate():
		kind = "private"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		kind = "link-local"
	case a.IsMulticast():
		kind = "multicast"
	case a.Is4() && sharedRange.Contains(a):
		kind = "shared (CGNAT)"
	}
	if kind != "" {
		return &BlockedAddressError{Addr: a, Kind: kind}
	}
	return nil
}

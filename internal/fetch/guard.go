package fetch

import (
	"fmt"
	"net/netip"
	"syscall"
)

// Ranges netip has no predicate for.
var (
	// RFC 6598 shared address space: carrier-grade NAT, and in some clouds
	// the metadata and internal services.
	sharedRange = netip.MustParsePrefix("100.64.0.0/10")
	// RFC 1122 "this network": Linux routes 0.0.0.0/8 destinations to the
	// local host.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// BlockedAddressError is a connection refused by the private-address guard.
type BlockedAddressError struct {
	Addr netip.Addr
	// Kind says which kind of address it is: "loopback", "private", ...
	Kind string
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("refusing to connect to %s address %s: private addresses need allow-private", e.Kind, e.Addr)
}

// refuse returns a net.Dialer Control func refusing every address blocked
// names a kind for. It runs after DNS resolution, on the address actually
// dialled, for the first request and every redirect alike, so neither a DNS
// name pointing inwards nor a redirect slips past.
func refuse(blocked func(netip.Addr) string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("refusing to connect to %q: cannot check the address: %w", address, err)
		}
		addr := ap.Addr().Unmap()
		if kind := blocked(addr); kind != "" {
			return &BlockedAddressError{Addr: addr, Kind: kind}
		}
		return nil
	}
}

// RefusePrivate is the guard as a net.Dialer Control func, for other
// clients that dial URLs an operator typed (webhook receivers): one policy,
// one list of what is private.
func RefusePrivate(network, address string, c syscall.RawConn) error {
	return refusePrivate(network, address, c)
}

// refusePrivate is the guard of every Client made by New.
func refusePrivate(network, address string, c syscall.RawConn) error {
	return refuse(blockedKind)(network, address, c)
}

// blockedKind names the kind of a non-public address, or returns "" for an
// address a source may be fetched from by default.
func blockedKind(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified() || (a.Is4() && thisNetwork.Contains(a)):
		return "unspecified"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	case a.Is4() && sharedRange.Contains(a):
		return "shared (CGNAT)"
	}
	return ""
}

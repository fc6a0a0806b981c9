package pvesim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"hash/fnv"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// simCert is the self-signed certificate of an estate's local node. It is
// derived from the endpoint's identity (Ed25519 signatures are
// deterministic), so /nodes can report its fingerprint before any server runs
// and every run serves the same certificate.
type simCert struct {
	TLS         tls.Certificate
	Leaf        *x509.Certificate
	Fingerprint string
}

// certCache memoises certificates per key; it is owned by one Estate.
type certCache struct {
	once sync.Once
	c    *simCert
	err  error
}

func (e *Estate) certificate() (*simCert, error) {
	e.cert.once.Do(func() { e.cert.c, e.cert.err = newSimCert(e.certKey, e.t.LocalNode) })
	return e.cert.c, e.cert.err
}

func newSimCert(key int64, host string) (*simCert, error) {
	seed := sha256.Sum256(fmt.Appendf(nil, "pvesim-cert/%d/%s", key, host))
	priv := ed25519.NewKeyFromSeed(seed[:])
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(seed[:16]),
		Subject:      pkix.Name{CommonName: host, Organization: []string{"PVE Cluster Node"}, OrganizationalUnit: []string{"PVE Cluster Node"}},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{host, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		// Self-signed: make it its own CA so clients can trust it as a root.
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return nil, fmt.Errorf("pvesim: certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pvesim: certificate: %w", err)
	}
	return &simCert{
		TLS:         tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf},
		Leaf:        leaf,
		Fingerprint: Fingerprint(der),
	}, nil
}

// Fingerprint formats the SHA-256 of a DER certificate like Proxmox's
// ssl_fingerprint ("80:D4:...:F5").
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

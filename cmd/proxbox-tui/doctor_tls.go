package main

import (
	"crypto/x509"
	"fmt"
	"os"
)

func caPool(file string) (*x509.CertPool, error) {
	if file == "" {
		return x509.SystemCertPool()
	}
	pem, err := os.ReadFile(expandHome(file))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

func verifyOptions(host string, roots *x509.CertPool, chain []*x509.Certificate) x509.VerifyOptions {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	return x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter}
}

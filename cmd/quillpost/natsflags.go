package main

import (
	"flag"

	"github.com/quillpost/quillpost/internal/queue"
)

// natsFlags are the NATS connection flags of serve and worker.
type natsFlags struct {
	creds, ca, cert, key, namespace *string
}

func addNATSFlags(fs *flag.FlagSet) natsFlags {
	return natsFlags{
		creds:     fs.String("nats-creds", "", "NATS credentials file: from 'quillpost keys worker' (embedded NATS) or a .creds file of an external cluster"),
		ca:        fs.String("nats-tls-ca", "", "PEM file of the CAs that sign the NATS servers' certificates (external clusters with TLS)"),
		cert:      fs.String("nats-tls-cert", "", "client certificate (PEM) for NATS clusters that ask for one"),
		key:       fs.String("nats-tls-key", "", "key of --nats-tls-cert"),
		namespace: fs.String("namespace", queue.DefaultNamespace, "prefix of every NATS subject, stream and bucket: installations sharing a NATS cluster need different ones"),
	}
}

func (f natsFlags) dial(url string) queue.Dial {
	return queue.Dial{URL: url, Creds: *f.creds, TLSCA: *f.ca, TLSCert: *f.cert, TLSKey: *f.key}
}
